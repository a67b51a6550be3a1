"""Time slots (UTC): epoch seconds -> slot id, and back to the slot's start.

One definition in two languages: SQL for DuckDB's pass over millions of ratings, numpy for the
model that serves requests. Slot ids are whole numbers that grow by one per slot, so that
"the next slot" is ``id + 1`` at every granularity. Weeks start on Monday (1970-01-01 was a
Thursday); months count from January 1970; years are the calendar year.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from viewcast.popularity.config import Slot
from viewcast.popularity.movielens import MAX_TIMESTAMP

_SECONDS = {"hourly": 3600, "daily": 86_400}


def slot_sql(slot: Slot, ts: str = "ts") -> str:
    """SQL of the slot id of the (BIGINT, non-negative) epoch-seconds expression ``ts``."""
    if slot in _SECONDS:
        return f"({ts} // {_SECONDS[slot]})"
    if slot == "weekly":
        return f"(({ts} // 86400 + 3) // 7)"
    moment = f"epoch_ms({ts} * 1000)"  # a TIMESTAMP without time zone: calendar fields are UTC
    if slot == "monthly":
        return f"((year({moment}) - 1970) * 12 + month({moment}) - 1)"
    return f"year({moment})"


def slot_start_sql(slot: Slot, column: str = "slot") -> str:
    """SQL of the UTC start (TIMESTAMP) of the slot id expression ``column`` (inverse of :func:`slot_sql`)."""
    if slot in _SECONDS:
        return f"epoch_ms({column} * {_SECONDS[slot] * 1000})"
    if slot == "weekly":
        return f"epoch_ms(({column} * 7 - 3) * 86400000)"
    if slot == "monthly":
        return f"make_timestamp(1970 + {column} // 12, {column} % 12 + 1, 1, 0, 0, 0)"
    return f"make_timestamp({column}, 1, 1, 0, 0, 0)"


def slot_of(seconds: np.ndarray, slot: Slot) -> np.ndarray:
    """Slot ids of epoch seconds (non-negative integers)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if slot in _SECONDS:
        return seconds // _SECONDS[slot]
    if slot == "weekly":
        return (seconds // 86_400 + 3) // 7
    months = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months if slot == "monthly" else months // 12 + 1970


def slot_start(slot_id: int, slot: Slot) -> datetime:
    """UTC start of a slot id (inverse of :func:`slot_of`)."""
    if slot in _SECONDS:
        seconds = slot_id * _SECONDS[slot]
    elif slot == "weekly":
        seconds = (slot_id * 7 - 3) * 86_400
    elif slot == "monthly":
        return datetime(1970 + slot_id // 12, slot_id % 12 + 1, 1, tzinfo=UTC)
    else:
        return datetime(slot_id, 1, 1, tzinfo=UTC)
    return datetime.fromtimestamp(seconds, tz=UTC)


def max_slot(slot: Slot) -> int:
    """The slot id of the latest accepted timestamp: larger ids are not a time anyone can mean."""
    return int(slot_of(np.array([MAX_TIMESTAMP]), slot)[0])
