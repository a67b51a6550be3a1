"""The FastAPI application: settings, the model store, error mapping and the routes.

``create_app(settings)`` builds an app; ``app_from_env()`` is uvicorn's factory for worker
processes. Models are loaded in the lifespan, before the first request: a bad folder stops
start-up (``viewcast serve`` checks them once more in the parent process first so that the
user gets one clear line). Every library error maps to its status (``ViewcastError.status``:
422, 404 or 413) with the JSON path of the field it is about; request validation errors are
422 with pydantic's field paths; a body over ``max_body_size`` is 413 before it is parsed.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from viewcast._version import __version__
from viewcast.errors import ViewcastError
from viewcast.service.responses import ERRORS
from viewcast.service.security import require_api_key
from viewcast.service.settings import ServiceSettings
from viewcast.service.store import ModelStore


def _problem(loc: list[Any], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


async def _viewcast_error(request: Request, exc: Exception) -> JSONResponse:
    """A library error: 422 lists it with its field's JSON path; 404 and others carry the message."""
    assert isinstance(exc, ViewcastError)
    if exc.status != 422:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})
    loc: list[Any] = ["body", *exc.param.split(".")] if exc.param else ["body"]
    return JSONResponse(status_code=422, content={"detail": [_problem(loc, exc.message, type(exc).__name__)]})


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """pydantic's errors with their field paths, without echoing the (possibly huge) input back."""
    assert isinstance(exc, RequestValidationError)
    errors = [_problem(list(e.get("loc", ())), str(e.get("msg", "")), str(e.get("type", ""))) for e in exc.errors()[:20]]
    return JSONResponse(status_code=422, content={"detail": errors})


def create_app(settings: ServiceSettings, store: ModelStore | None = None) -> FastAPI:
    """The service over the models in ``settings.models`` (or an already loaded ``store``)."""
    from viewcast.service.routers import claims, followers, forecast, health, models, popularity

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from viewcast.nn.training import configure_threads

        configure_threads()
        app.state.store = store if store is not None else ModelStore.load(settings.models)
        # The libraries and models loaded by now are some 370,000 long-lived objects, and every
        # full garbage collection walked them all: a 200 ms pause every ~15 batch requests.
        # Frozen, they are left out of collections, which then see only what requests allocate.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()

    app = FastAPI(
        title="viewcast",
        version=__version__,
        summary="Forecasts, capacity plans, claim labels, follower plans and cache rankings from saved viewcast models.",
        lifespan=lifespan,
        max_body_size=settings.max_body_size,
    )
    app.state.settings = settings
    app.state.store = store
    app.add_exception_handler(ViewcastError, _viewcast_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(health.router)
    secured = [Depends(require_api_key)]
    for router in (models.router, forecast.router, claims.router, followers.router, popularity.router):
        app.include_router(router, prefix="/v1", dependencies=secured, responses=ERRORS)
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory: each worker process builds the app from the environment."""
    return create_app(ServiceSettings.from_env())
