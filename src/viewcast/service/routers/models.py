"""``GET /v1/models``: what the service serves, with versions, checksums and training metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

router = APIRouter(tags=["models"])


class ModelInfo(BaseModel):
    name: str
    kind: str
    analysis: str
    viewcast_version: str | None
    format_version: int | None
    created: str | None
    sha256: dict[str, str]
    signed: bool
    metrics: dict[str, Any]
    details: dict[str, Any]


class ModelList(BaseModel):
    models: list[ModelInfo]


@router.get("/models", response_model=ModelList, summary="Every loaded model")
def list_models(request: Request) -> ModelList:
    store = request.app.state.store
    return ModelList(models=[ModelInfo(**served.listing()) for served in store.models.values()])
