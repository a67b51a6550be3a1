"""``POST /v1/followers/{name}/predict``: planned videos in, expected new followers with a 95% interval out.

The body is one planned video (:class:`~viewcast.followers.planned.PlannedVideo`) or
``{"records": [...]}`` with up to :data:`MAX_BATCH`; the answer equals
``viewcast.load_model(DIR).predict(...)`` and ``viewcast followers predict DIR --json ...``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from viewcast.followers.planned import PlannedAnswer, PlannedVideo

router = APIRouter(tags=["followers"])

MAX_BATCH = 10_000
ModelName = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", description="a loaded followers model's name")


class PlannedBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[PlannedVideo] = Field(min_length=1, max_length=MAX_BATCH)


class PlannedAnswers(BaseModel):
    predictions: list[PlannedAnswer]


@router.post(
    "/followers/{name}/predict",
    response_model=PlannedAnswer | PlannedAnswers,
    summary="Expected new followers of planned videos, with 95% prediction intervals",
)
def predict(request: Request, body: PlannedVideo | PlannedBatch, name: str = ModelName) -> dict[str, Any]:
    model = request.app.state.store.get("followers", name)
    if isinstance(body, PlannedBatch):
        return {"predictions": model.predict(body.records)}
    return model.predict(body)
