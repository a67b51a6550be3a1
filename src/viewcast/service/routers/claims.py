"""``POST /v1/claims/{name}/predict``: raw videos in, claim or opinion with its probability out.

The body is one video (:class:`~viewcast.claims.data.VideoRecord`) or ``{"records": [...]}`` with
up to :data:`MAX_BATCH` of them. Records are validated once, by FastAPI against the schema, and
passed to the model as they are; the answer equals ``viewcast.load_model(DIR).predict(...)`` and
``viewcast claims predict DIR --json ...``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from viewcast.claims.data import Prediction, VideoRecord

router = APIRouter(tags=["claims"])

MAX_BATCH = 10_000
ModelName = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", description="a loaded claims model's name")


class VideoBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[VideoRecord] = Field(min_length=1, max_length=MAX_BATCH)


class PredictionBatch(BaseModel):
    predictions: list[Prediction]


@router.post(
    "/claims/{name}/predict",
    response_model=Prediction | PredictionBatch,
    summary="Label one video or a batch as claim or opinion",
)
def predict(request: Request, body: VideoRecord | VideoBatch, name: str = ModelName) -> dict[str, Any]:
    model = request.app.state.store.get("claims", name)
    if isinstance(body, VideoBatch):
        return {"predictions": model.predict(body.records)}
    return model.predict(body)
