"""The error bodies the service answers with, documented once for every route.

422 (a request that does not fit its schema, or data the analysis refuses) lists each problem
with the JSON path of its field, as FastAPI does; other errors carry one message. The body limit
itself is Starlette's, which answers 413 in plain text before any route runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problems(BaseModel):
    detail: list[Problem]


class Message(BaseModel):
    detail: str


#: ``responses=`` for every /v1 route.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "the body is not JSON (FastAPI's parser refused it)"},
    401: {"model": Message, "description": "missing or wrong API key"},
    404: {"model": Message, "description": "no model of this analysis by that name"},
    413: {
        "model": Message,
        "description": "request body above the limit (JSON when a route refuses it, plain text when the server's body limit does)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    422: {"model": Problems, "description": "the request or its data is invalid"},
}
