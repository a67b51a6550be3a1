"""What a popularity model answers: the request and answer schemas (the service reuses them).

A request carries the recent per-slot request counts the caller has seen since the model's last
slot (or, for a model saved without feature state, all the recent history it should use), and
how many items to return::

    {"slots": [{"slot": 17166, "counts": {"318": 4, "296": 1}},
               {"slot": "2017-01-01T00:00:00Z", "counts": {"318": 2}}],
     "top": 10}

``slot`` is a slot id (an integer, as ``prepare`` numbers them) or a timestamp (ISO 8601, UTC when
no zone is given) that the model maps to its slot. Slots must increase; slots left out had no
requests. The answer ranks the next slot's candidates by predicted share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from viewcast.contracts import config_error
from viewcast.errors import DataValidationError, LimitError
from viewcast.io.tables import MAX_COUNT
from viewcast.popularity.movielens import MAX_ITEM_ID

MAX_REQUEST_SLOTS = 10_000
MAX_REQUEST_ENTRIES = 1_000_000
MAX_TOP = 10_000

ItemId = Annotated[int, Field(ge=0, le=MAX_ITEM_ID)]
Count = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)]


class SlotCounts(BaseModel):
    """Requests per item in one slot."""

    model_config = ConfigDict(extra="forbid")

    slot: int | datetime = Field(description="slot id, or a timestamp inside the slot")
    counts: dict[ItemId, Count] = Field(
        default_factory=dict,
        description="item id -> requests in the slot",
        # JSON keys are strings: say which ones are item ids (at most 15 digits stay below MAX_ITEM_ID)
        json_schema_extra={"propertyNames": {"pattern": "^(0|[1-9][0-9]{0,14})$"}},
    )

    @field_validator("slot", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a slot is a slot id or a timestamp, not true/false")
        return value


class PopularityRequest(BaseModel):
    """Recent per-slot counts and how many of the next slot's items to rank."""

    model_config = ConfigDict(extra="forbid")

    slots: list[SlotCounts] = Field(default_factory=list)
    top: int = Field(10, ge=1, le=MAX_TOP)

    @model_validator(mode="before")
    @classmethod
    def _limits(cls, value: Any) -> Any:
        """Refuse oversized requests before validating every entry (LimitError: HTTP 413)."""
        if isinstance(value, dict):
            slots = value.get("slots")
            if isinstance(slots, list):
                if len(slots) > MAX_REQUEST_SLOTS:
                    raise LimitError(f"{len(slots):,} slots; at most {MAX_REQUEST_SLOTS:,} per request", param="slots")
                entries = sum(len(s.get("counts") or {}) for s in slots if isinstance(s, dict))
                if entries > MAX_REQUEST_ENTRIES:
                    raise LimitError(f"{entries:,} counts; at most {MAX_REQUEST_ENTRIES:,} per request", param="slots")
        return value


class RankedItem(BaseModel):
    item: int
    share: float = Field(description="predicted share of the next slot's requests")
    rank: int


class PopularityAnswer(BaseModel):
    """The next slot's most popular items by predicted share."""

    slot: int = Field(description="id of the slot the ranking is for")
    slot_start: datetime | None = Field(None, description="its start (UTC), when the model knows its slot length")
    candidates: int = Field(description="items ranked (every item requested before the slot)")
    items: list[RankedItem]


def parse_request(request: Any) -> PopularityRequest:
    """A request as given (mapping or model) -> validated; errors name the JSON path (``slots.0.counts``)."""
    if isinstance(request, PopularityRequest):
        return request
    if not isinstance(request, dict):
        raise DataValidationError(f"a popularity request is a JSON object with 'slots' and 'top', got {type(request).__name__}")
    try:
        return PopularityRequest.model_validate(request)
    except ValidationError as exc:
        raise config_error(exc) from None
