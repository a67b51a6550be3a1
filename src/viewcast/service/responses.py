"""The error bodies the service answers with, documented once for every route.

422 (a request that does not fit its schema, or data the analysis refuses) lists each problem
with the JSON path of its field, as FastAPI does; other errors carry one message.
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
    401: {"model": Message, "description": "missing or wrong API key"},
    404: {"model": Message, "description": "no model of this analysis by that name"},
    413: {"model": Message, "description": "request body too large"},
    422: {"model": Problems, "description": "the request or its data is invalid"},
}
