"""Liveness and readiness (no API key: load balancers and orchestrators call these)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    models: int


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}}, summary="Models are loaded")
def readyz(request: Request) -> Ready | JSONResponse:
    store = request.app.state.store
    if store is None:
        return JSONResponse(status_code=503, content={"status": "loading", "models": 0})
    return Ready(status="ready", models=len(store.models))
