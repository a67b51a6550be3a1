"""statsforecast's models, one per series: fitted once, then forwarded from any history.

Every statistical member is fitted once per series, on the whole cleaned history, and then
*forwarded* (statsforecast's ``forward``: the fitted parameters, the states re-run over another
history, no new search) from every backtest origin's prefix and from the last day. A backtest
that refitted at each of 15 origins would cost 15 searches per model and series; the research
behind the pool (docs/forecast.md) found the forwarded backtest as good for weighting and
calibration, and the final forecast is the one a fresh fit gives.

The yearly MSTL is the weekly one on the history less a smooth yearly cycle
(:mod:`~viewcast.forecasting.models.yearly`, refitted on every history it forecasts from), the
cycle added back ahead.

Seasonal naive (the last cleaned week repeated) is computed here too: it is a member of the pool,
the benchmark every backtest reports, and the fallback wherever a fit or a forward fails.

The fitted state each model needs to forward is kept, and nothing else (ETS keeps its
parameters, not its 700 fitted values), encoded by :mod:`~viewcast.forecasting.models.codec` as
JSON and arrays. Series are fitted in worker processes, in interleaved chunks so that long and
short series spread evenly (``VIEWCAST_JOBS`` processes; two on large panels by default).
"""

from __future__ import annotations

import contextlib
import os
import signal
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import Any

import numpy as np

from viewcast.errors import ConfigError
from viewcast.forecasting.cleaning import clean
from viewcast.forecasting.config import SEASON
from viewcast.forecasting.models.codec import decode, encode
from viewcast.forecasting.models.yearly import YEARLY_SETTINGS, yearly_cycle
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require
from viewcast.progress import progress_bar

JOBS_VARIABLE = "VIEWCAST_JOBS"
#: Series-days below which worker processes cost more than they save.
PARALLEL_WORK = 6_000
#: Chunks per worker process: small enough to balance, large enough to amortise the hand-over.
CHUNKS_PER_JOB = 8
#: Fewest days a statistical model is fitted on (four weeks, as LightGBM's lookback). On 11 real
#: panels with creators cut to 14 and 21 days, ETS, DOT and MSTL fitted on two or three weeks
#: forecast 1.74 and 1.09 times seasonal naive's error; from 28 days the pool won (0.955).
MIN_FIT_DAYS = 4 * SEASON


def _ets() -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=SEASON)


def _dot() -> Any:
    from statsforecast.models import DynamicOptimizedTheta

    return DynamicOptimizedTheta(season_length=SEASON)


#: STL's LOESS evaluated every second day and interpolated, as R's stl() does by default
#: (``s.jump = ceiling(s.window / 10)``): a third faster, the decomposition within 0.3%.
STL_JUMPS = {"seasonal_jump": 2, "trend_jump": 2}
#: statsforecast's ``mstl`` seasonal window for a single season (7 + 4, as R's ``mstl``).
MSTL_SEASONAL_WINDOW = 11


def _mstl(stl: Mapping[str, Any] = STL_JUMPS) -> Any:
    from statsforecast.models import MSTL, AutoETS

    return MSTL(season_length=SEASON, trend_forecaster=AutoETS(model="ZZN"), stl_kwargs=dict(stl))


def _theta() -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=SEASON)


def _arima() -> Any:
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=SEASON, approximation=True)


@dataclass(frozen=True)
class StatSpec:
    """How one statsforecast model joins the pool."""

    build: Callable[[], Any]
    #: entries of the fitted ``model_`` that ``forward`` reads (None: all of them)
    keep: tuple[str, ...] | None
    #: MSTL keeps its fitted state in its trend forecaster (the season is re-decomposed on forward)
    in_trend: bool = False
    #: fitted and forwarded on the history less its yearly cycle, which is added back ahead
    yearly: bool = False


_ETS_KEYS = ("m", "components", "par", "n_params", "fit")
_THETA_KEYS = ("m", "modeltype", "par")
SPECS: dict[str, StatSpec] = {
    "ets": StatSpec(_ets, _ETS_KEYS),
    "dot": StatSpec(_dot, _THETA_KEYS),
    "mstl": StatSpec(_mstl, _ETS_KEYS, in_trend=True),
    "mstl_yearly": StatSpec(_mstl, _ETS_KEYS, in_trend=True, yearly=True),
    "theta": StatSpec(_theta, _THETA_KEYS),
    "arima": StatSpec(_arima, None),
}


def seasonal_naive(history: np.ndarray, steps: int) -> np.ndarray:
    """The last week repeated; a history shorter than a week gives its mean level.

    Repeating a five-day history would put Monday's views on Saturday: with no full week there
    is no weekday profile to repeat, only a level.
    """
    history = np.asarray(history, dtype=float)
    if len(history) < SEASON:
        return np.full(steps, history.mean())
    return np.resize(history[-SEASON:], steps)


def compact_state(name: str, model: Any) -> dict[str, Any]:
    """What ``forward`` needs of a fitted model (ETS's parameters, not its fitted values)."""
    spec = SPECS[name]
    state = model.trend_forecaster.model_ if spec.in_trend else model.model_
    if spec.keep is None:
        return dict(state)
    kept = {key: state[key] for key in spec.keep if key in state}
    if "fit" in kept:
        kept["fit"] = None  # the optimiser's record: carried through forward, never read
    if spec.in_trend:
        kept["stl"] = dict(model.stl_kwargs)  # the decomposition a forward repeats
    if spec.yearly:
        kept["yearly"] = dict(model.yearly_settings)  # the cycle its trend was fitted without
    return kept


def restore(name: str, state: Mapping[str, Any]) -> Any:
    """A statsforecast model ready to ``forward`` from a compact state."""
    state = dict(state)
    if SPECS[name].in_trend:
        yearly = state.pop("yearly", None)
        model = _mstl(state.pop("stl"))
        if SPECS[name].yearly:
            model.yearly_settings = yearly
        model.trend_forecaster.model_ = state
    else:
        model = SPECS[name].build()
        model.model_ = state
    return model


def fit_model(name: str, cleaned: np.ndarray) -> Any:
    """A fresh fit of one model on a cleaned history (less its yearly cycle, for the yearly member)."""
    if not SPECS[name].yearly:
        return SPECS[name].build().fit(cleaned)
    model = SPECS[name].build().fit(cleaned - yearly_cycle(cleaned, 0, **YEARLY_SETTINGS)[0])
    model.yearly_settings = dict(YEARLY_SETTINGS)
    return model


def forward(name: str, model: Any, cleaned: np.ndarray, steps: int) -> np.ndarray:
    """The fitted model's forecast from ``cleaned`` (the one path of the run and of a loaded model)."""
    if SPECS[name].yearly:
        inside, ahead = yearly_cycle(cleaned, steps, **model.yearly_settings)
        return _weekly_mstl_forward(model, cleaned - inside, steps) + ahead
    if SPECS[name].in_trend:
        return _weekly_mstl_forward(model, cleaned, steps)
    return np.asarray(model.forward(y=cleaned, h=steps)["mean"], dtype=float)


def _weekly_mstl_forward(model: Any, y: np.ndarray, steps: int) -> np.ndarray:
    """``MSTL.forward`` for one weekly season, without the pandas frames it builds on the way.

    The same steps as statsforecast's ``mstl`` + ``MSTL.forward`` (STL with a seasonal window of
    11 and degree 0; the trend model forwarded on ``y - seasonal``; the last week of the season
    repeated), the same numbers (tests/forecasting/test_models.py), a third less time: most of a
    1,000-creator run is these forwards.
    """
    from statsmodels.tsa.seasonal import STL

    seasonal = STL(y, period=SEASON, seasonal=MSTL_SEASONAL_WINDOW, **{"seasonal_deg": 0, **model.stl_kwargs}).fit().seasonal
    trend = model.trend_forecaster.forward(y=y - seasonal, h=steps)["mean"]
    return np.asarray(trend, dtype=float) + np.resize(seasonal[-SEASON:], steps)


@dataclass
class SeriesTask:
    """One series' work: fit (where ``states`` has None) and forecast from prefixes of ``values``."""

    values: np.ndarray
    lengths: Sequence[int]  # prefix lengths to forecast from (0: no forecast there)
    steps: int
    names: tuple[str, ...]
    states: Sequence[Mapping[str, Any] | None] | None  # None: fit every model on the whole history


def run_series(task: SeriesTask) -> tuple[np.ndarray, list[dict[str, Any] | None]]:
    """``(1 + models, prefixes, steps)`` forecasts (seasonal naive first) and the fitted states.

    A model that cannot be fitted, or whose forecast fails or is not finite, gives seasonal
    naive's forecast instead (its state is None). Forecasts are clipped at zero: views are counts.
    BLAS runs on one thread: series already run in parallel processes, and OpenBLAS's own
    threads on top (for the yearly cycle's small least squares) made a 1,000-series run 1.9x slower.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _run_series(task)


def _run_series(task: SeriesTask) -> tuple[np.ndarray, list[dict[str, Any] | None]]:
    warnings.filterwarnings("ignore")
    prefixes = {n: clean(task.values[:n]) for n in set(task.lengths) if n > 0}
    out = np.full((1 + len(task.names), len(task.lengths), task.steps), np.nan)
    for k, n in enumerate(task.lengths):
        if n > 0:
            out[0, k] = seasonal_naive(prefixes[n], task.steps)
    states: list[dict[str, Any] | None] = []
    for m, name in enumerate(task.names, start=1):
        state = None if task.states is None else task.states[m - 1]
        try:
            if task.states is None:
                if len(task.values) < MIN_FIT_DAYS:
                    raise ValueError("history too short to fit")
                whole = prefixes.get(len(task.values))
                model = fit_model(name, clean(task.values) if whole is None else whole)
                state = compact_state(name, model)
            elif state is None:
                raise ValueError("no fitted state")
            else:
                model = restore(name, state)
        except Exception:  # any statsforecast failure means: seasonal naive for this series
            states.append(None)
            out[m] = out[0]
            continue
        states.append(state)
        for k, n in enumerate(task.lengths):
            if n > 0:
                try:
                    out[m, k] = forward(name, model, prefixes[n], task.steps)
                except Exception:  # a prefix the model cannot forward from
                    out[m, k] = out[0, k]
    bad = ~np.isfinite(out) & np.isfinite(out[:1])
    out[bad] = np.broadcast_to(out[:1], out.shape)[bad]
    return np.maximum(out, 0.0), states


def _run_chunk(tasks: list[SeriesTask]) -> list[tuple[np.ndarray, list[dict[str, Any] | None]]]:
    return [run_series(task) for task in tasks]


def jobs_for(work: int) -> int:
    """Worker processes: ``VIEWCAST_JOBS``, else two (at most the cores) for panels worth it."""
    configured = os.environ.get(JOBS_VARIABLE, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ConfigError(f"{JOBS_VARIABLE}={configured!r}: expected a whole number of processes, at least 1")
        return int(configured)
    return min(2, os.cpu_count() or 1) if work >= PARALLEL_WORK else 1


#: Signals that stop a run (Ctrl-C, a scheduler's SIGTERM).
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the workers fork: one arriving mid-fork left a worker the pool
    did not know, which outlived the run holding its output pipes (the killed forecast hung). A
    held signal is raised when the block ends, with every worker known and stoppable."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _unblock_stop_signals() -> None:
    """Worker start: take Ctrl-C and SIGTERM again (a fork inherits the held mask)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


class PendingTasks:
    """Series tasks under way in ``jobs`` worker processes (interleaved chunks), or queued to run
    in this process when one job will do.

    Workers start (fork, with statsforecast already imported) as soon as the tasks are handed
    over, so the caller can train global members meanwhile and collect the results after.
    """

    def __init__(self, tasks: list[SeriesTask], jobs: int) -> None:
        self.tasks = tasks
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[Any, list[int]] = {}
        if jobs > 1 and len(tasks) > 1:
            count = min(len(tasks), jobs * CHUNKS_PER_JOB)
            chunks = [list(range(c, len(tasks), count)) for c in range(count)]
            context = get_context("fork") if "fork" in get_all_start_methods() else None
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_unblock_stop_signals)
            try:
                with _stop_signals_held():  # the first submit forks the workers
                    self.futures = {self.pool.submit(_run_chunk, [tasks[i] for i in chunks[0]]): chunks[0]}
                self.futures |= {self.pool.submit(_run_chunk, [tasks[i] for i in chunk]): chunk for chunk in chunks[1:]}
            except BaseException:  # SIGTERM or Ctrl-C while handing over: stop the workers, then unwind
                self.cancel()
                raise

    def cancel(self) -> None:
        """Stop the workers (the caller failed before collecting)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def results(self, progress: bool) -> list[tuple[np.ndarray, list[dict[str, Any] | None]]]:
        """Every task's result, in task order (waits for the workers)."""
        results: list[Any] = [None] * len(self.tasks)
        with progress_bar("statistical models", total=len(self.tasks), enabled=progress) as advance:
            if self.pool is None:
                for i, task in enumerate(self.tasks):
                    results[i] = run_series(task)
                    advance()
                return results
            try:
                for future in as_completed(self.futures):
                    for i, result in zip(self.futures[future], future.result()):
                        results[i] = result
                    advance(len(self.futures[future]))
            finally:
                self.pool.shutdown(cancel_futures=True)
        return results


def run_tasks(tasks: list[SeriesTask], jobs: int, progress: bool) -> list[tuple[np.ndarray, list[dict[str, Any] | None]]]:
    """Every series' task, in ``jobs`` processes or in this one."""
    return PendingTasks(tasks, jobs).results(progress)


class StatisticalModels:
    """The statistical members of a forecast: per model, one fitted state per series.

    ``states[name][i]`` is None where series ``i`` could not be fitted (it is forecast by
    seasonal naive instead, and the run says so).
    """

    def __init__(self, names: tuple[str, ...], states: dict[str, list[dict[str, Any] | None]] | None = None) -> None:
        unknown = set(names) - set(SPECS)
        if unknown:
            raise ValueError(f"not statistical models: {sorted(unknown)}")
        self.names = tuple(names)
        self.states = states or {}

    def start_fit(self, panel: Panel, lengths: np.ndarray, steps: int, *, jobs: int = 1) -> PendingTasks:
        """Start fitting every model on every series and forecasting from the given prefixes;
        :meth:`finish_fit` collects. ``lengths[i, k]`` is series ``i``'s ``k``-th prefix (0: none)."""
        tasks = [SeriesTask(v, lengths[i].tolist(), steps, self.names, None) for i, v in enumerate(panel.values)]
        return PendingTasks(tasks, jobs)

    def finish_fit(self, pending: PendingTasks, progress: bool = False) -> np.ndarray:
        """``(1 + models, series, prefixes, steps)`` forecasts (seasonal naive first, NaN where no
        prefix); the fitted states are kept."""
        results = pending.results(progress)
        self.states = {name: [states[m] for _, states in results] for m, name in enumerate(self.names)}
        return np.stack([forecast for forecast, _ in results], axis=1)

    def fit_forecast(self, panel: Panel, lengths: np.ndarray, steps: int, *, jobs: int = 1, progress: bool = False) -> np.ndarray:
        """:meth:`start_fit` and :meth:`finish_fit` in one call."""
        return self.finish_fit(self.start_fit(panel, lengths, steps, jobs=jobs), progress)

    def forecast(self, panel: Panel, steps: int, *, jobs: int = 1, progress: bool = False) -> np.ndarray:
        """``(1 + models, series, steps)`` from each series' whole (new) history, no refit."""
        tasks = [
            SeriesTask(v, [len(v)], steps, self.names, [self.states[name][i] for name in self.names])
            for i, v in enumerate(panel.values)
        ]
        return np.stack([forecast[:, 0] for forecast, _ in run_tasks(tasks, jobs, progress)], axis=1)

    def failed(self) -> dict[str, int]:
        """Series each model could not be fitted to (seasonal naive stands in)."""
        return {name: sum(s is None for s in states) for name, states in self.states.items() if any(s is None for s in states)}

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        skeletons = {
            name: [None if s is None else encode(s, arrays, f"{name}.{i}") for i, s in enumerate(states)]
            for name, states in self.states.items()
        }
        return {"names": list(self.names), "states": skeletons}, arrays

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> StatisticalModels:
        names, skeletons = state.get("names"), state.get("states")
        require(isinstance(names, list) and set(names) <= set(SPECS), f"unknown statistical models {names!r}")
        require(isinstance(skeletons, dict) and set(skeletons) == set(names), "statistical states do not match their models")
        states: dict[str, list[dict[str, Any] | None]] = {}
        for name in names:
            per_series = skeletons[name]
            require(
                isinstance(per_series, list) and len(per_series) == series,
                f"{series} series but {len(per_series) if isinstance(per_series, list) else 'no'} fitted {name} models",
            )
            decoded = [None if s is None else decode(s, dict(tensors)) for s in per_series]
            keep = SPECS[name].keep
            for s in decoded:
                require(s is None or isinstance(s, dict), f"a fitted {name} state is not a mapping")
                if s is not None and keep is not None:
                    missing = {k for k in keep if k != "fit"} - set(s)
                    require(not missing, f"a fitted {name} state lacks {sorted(missing)}")
                if s is not None and SPECS[name].in_trend:
                    stl = s.get("stl")
                    require(
                        isinstance(stl, dict) and set(stl) <= set(STL_JUMPS) and all(v in (1, 2, 3) for v in stl.values()),
                        f"a fitted {name} state has STL settings {stl!r}",
                    )
                if s is not None and SPECS[name].yearly:
                    yearly = s.get("yearly")
                    require(
                        isinstance(yearly, dict)
                        and set(yearly) == set(YEARLY_SETTINGS)
                        and all(isinstance(v, int) and 1 <= v <= 1000 for v in yearly.values()),
                        f"a fitted {name} state has yearly settings {yearly!r}",
                    )
            states[name] = decoded
        return cls(tuple(names), states)
