"""``POST /v1/forecast``: history in, forecast with 80/95% intervals and the capacity plan out.

With ``model`` naming a saved forecast model, its fitted parameters forecast the new history (no
refit; the answer equals ``viewcast forecast DATA --load-model DIR`` and
``viewcast.load_model(DIR).predict(history)``). Without it, the forecast is fitted on the fly
(backtest, model choice, intervals), within the size caps the settings state, and equals
``viewcast.forecast(history, ...)``.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import MAX_HORIZON, CapacityConfig
from viewcast.io.tables import MAX_COUNT

router = APIRouter(tags=["forecast"])

#: Rows of history one request may carry (a few MB of JSON).
MAX_HISTORY_ROWS = 200_000
#: Series one request may carry.
MAX_SERIES = 1_000


class HistoryRow(BaseModel):
    """One day of one series, in the long format forecasting libraries use."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    unique_id: str = Field(min_length=1, max_length=200, description="series (creator) id")
    ds: str | int = Field(description="ISO date (YYYY-MM-DD) or a day number, the same kind in every row")
    y: float = Field(ge=0, le=MAX_COUNT, description="views that day")


class _ForecastBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    history: list[HistoryRow] = Field(min_length=1, max_length=MAX_HISTORY_ROWS)
    horizon: int | None = Field(None, ge=1, le=MAX_HORIZON, description="days ahead (default: the model's, or 30)")
    capacity: CapacityConfig | None = Field(None, description="planning assumptions (default: the model's)")


class SavedModelForecast(_ForecastBody):
    """Forecast with a saved model: its fitted members forward the new history (no refit)."""

    model: str = Field(min_length=1, max_length=128, description="a saved forecast model's name")


class FittedForecast(_ForecastBody):
    """Fit on the fly (within the service's size caps): backtest, weights and bands from this history."""

    by: Literal["total", "creator"] = Field("total", description="forecast the total, or each series and their total")


ForecastBody = SavedModelForecast | FittedForecast


class ForecastRow(BaseModel):
    series: str
    date: str
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class TotalRow(BaseModel):
    date: str
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class ForecastAnswer(BaseModel):
    model: str = Field(description="the model that forecast (ets, theta, ensemble, lstm...)")
    by: str
    horizon: int
    series: list[str]
    forecast: list[ForecastRow]
    total: list[TotalRow]
    next_total: dict[str, float]
    capacity_plan: dict[str, Any]
    notes: list[str]


def _history(body: ForecastBody) -> pd.DataFrame:
    frame = pd.DataFrame.from_records([row.model_dump() for row in body.history])
    series = frame["unique_id"].nunique()
    if series > MAX_SERIES:
        raise DataValidationError(f"{series} series in one request; at most {MAX_SERIES}", param="history")
    return frame


def _days_after_filling(history: pd.DataFrame) -> int:
    """Series-days the forecast will fit once gaps are filled (two rows a century apart are 36,500 days).

    Rows whose ``ds`` does not parse count as one day each: the forecast refuses them with its own message.
    """
    ds = history["ds"]
    numbers = pd.to_numeric(ds, errors="coerce")
    day = numbers.where(numbers.notna(), pd.to_datetime(ds, errors="coerce", format="ISO8601").map(_day_number))
    spans = day.groupby(history["unique_id"]).agg(lambda d: d.max() - d.min() + 1 if d.notna().any() else 0)
    return int(max(spans.fillna(0).sum(), len(history)))


def _day_number(stamp: pd.Timestamp) -> float:
    return float("nan") if pd.isna(stamp) else float(stamp.value // 86_400_000_000_000)


def _fit_on_the_fly(request: Request, body: FittedForecast, history: pd.DataFrame) -> dict[str, Any]:
    import viewcast

    settings = request.app.state.settings
    series = history["unique_id"].nunique()
    days = _days_after_filling(history)
    if series > settings.max_fit_series or days > settings.max_fit_rows:
        raise DataValidationError(
            f"fitting on the fly takes at most {settings.max_fit_series} series and {settings.max_fit_rows:,} series-days "
            f"(got {series} and {days:,}, missing days counted as they will be filled); save a model with "
            "'viewcast forecast --save-model' and name it in 'model'",
            param="history",
        )
    options: dict[str, Any] = {"by": body.by, "progress": False}
    if body.horizon is not None:
        options["horizon"] = body.horizon
    if body.capacity is not None:
        options["capacity"] = body.capacity
    result = viewcast.forecast(history, **options)
    return {
        "model": result.chosen,
        "by": result.config.by,
        "horizon": result.config.horizon,
        "series": sorted(result.forecast["series"].unique().tolist()),
        "forecast": result.forecast.to_dict("records"),
        "total": result.total.to_dict("records"),
        "next_total": result.totals,
        "capacity_plan": result.capacity,
        "notes": result.notes,
    }


@router.post(
    "/forecast",
    response_model=ForecastAnswer,
    summary="Forecast daily views with 80/95% intervals and a capacity plan",
)
def forecast(request: Request, body: ForecastBody) -> dict[str, Any]:
    history = _history(body)
    if isinstance(body, FittedForecast):
        return _fit_on_the_fly(request, body, history)
    model = request.app.state.store.get("forecast", body.model)
    return model.predict({"history": history, "horizon": body.horizon, "capacity": body.capacity})
