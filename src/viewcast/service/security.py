"""API-key check for every /v1 route: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``.

Keys are compared with :func:`hmac.compare_digest` so that response time does not reveal how much
of a guessed key was right. Without ``VIEWCAST_API_KEY`` the routes are open (the service binds
to 127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="the service's API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the service's API key")


def _matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_api_key(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    header: str | None = Depends(_header),
) -> None:
    expected = request.app.state.settings.api_key
    if not expected:
        return
    token = bearer.credentials if bearer is not None else None
    if _matches(token, expected) or _matches(header, expected):
        return
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or wrong API key (send 'Authorization: Bearer KEY' or 'X-API-Key: KEY')",
        headers={"WWW-Authenticate": "Bearer"},
    )
