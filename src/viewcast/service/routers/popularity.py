"""``POST /v1/popularity/{name}/top``: recent per-slot request counts in, the next slot's top items out.

The body is a :class:`~viewcast.popularity.schema.PopularityRequest`; the answer equals
``viewcast.load_model(DIR).predict(...)`` and ``viewcast popularity predict``. Oversized requests
are refused by the schema's own limits before the entries are validated.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from viewcast.popularity.schema import PopularityAnswer, PopularityRequest

router = APIRouter(tags=["popularity"])

ModelName = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", description="a loaded popularity model's name")


@router.post(
    "/popularity/{name}/top",
    response_model=PopularityAnswer,
    summary="The next slot's most requested items, from recent per-slot counts",
)
def top(request: Request, body: PopularityRequest, name: str = ModelName) -> dict[str, Any]:
    model = request.app.state.store.get("popularity", name)
    return model.predict(body)
