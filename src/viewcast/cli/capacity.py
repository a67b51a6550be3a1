"""``viewcast capacity DATA``: costs in, a fleet plan and what plans would have cost out.

Options are validated by :class:`~viewcast.capacity.config.CapacityPlanConfig` (unset flags take
its documented defaults), the output folder is checked before any work and written whole by
:mod:`viewcast.io.outputs`; errors become one line and exit code 2 in :mod:`viewcast.cli.app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer


def _summary(result: Any, out: Path) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    plan = result.plan
    console.print(
        f"[bold]Plan:[/] {plan['reserved_servers']:,} reserved + on-demand up to {plan['peak_servers']:,} servers "
        f"(q* = {plan['planning_quantile']:.3g}); expected cost ${plan['expected_cost']:,.0f} "
        f"vs ${plan['rule']['expected_cost']:,.0f} for the old rule"
    )
    if result.backtest is not None:
        plans = result.backtest.summary()["plans"]
        mine, rule, oracle = plans["cost_plan"], plans["hi95_rule"], plans["oracle"]
        console.print(
            f"[bold]Replayed {mine['days']} days:[/] cost plan ${mine['cost']:,.0f} ({mine['cost_to_oracle']:.2f}x oracle, "
            f"short {mine['short_days']} days), old rule ${rule['cost']:,.0f}, oracle ${oracle['cost']:,.0f}"
        )
    for note in result.notes:
        console.print(Text("note: ", style="yellow") + Text(note), highlight=False)
    console.print(f"[bold]Report:[/] {out / 'report.html'}")


def capacity_command(
    data: Path = typer.Argument(..., help="Views table (as for viewcast forecast): the study's columns or unique_id, ds, y."),
    out: Path = typer.Option(..., "--out", help="Folder for plan.csv, plan_backtest.csv, metrics.json, plots and report.html."),
    horizon: Optional[int] = typer.Option(None, "--horizon", help="Days to plan (default 30)."),
    by: Optional[str] = typer.Option(None, "--by", help="Forecast the total (default), or bottom-up by category or creator."),
    model: Optional[str] = typer.Option(None, "--model", help="The views forecast's model (default auto)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the forecast (default 0)."),
    fill_gaps: Optional[str] = typer.Option(None, "--fill-gaps", help="Missing days: interpolate (default), zero, ffill, error."),
    backtest_windows: Optional[int] = typer.Option(None, "--backtest-windows", help="Weekly origins replayed (default 12)."),
    holidays: Optional[str] = typer.Option(
        None, "--holidays", help="Country whose public holidays the forecast knows (default US), or none."
    ),
    cost_per_server_day: Optional[float] = typer.Option(None, help="On-demand cost of a server-day, USD (default 48)."),
    reserved_cost_per_server_day: Optional[float] = typer.Option(None, help="Reserved cost of a server-day, USD (default 30)."),
    shortfall_cost_per_million_views: Optional[float] = typer.Option(
        None, help="Cost of a million views the fleet could not serve, USD (default 500)."
    ),
    shortfall_cost_per_day: Optional[float] = typer.Option(None, help="Penalty per day the fleet falls short, USD (default 0)."),
    lead_time_days: Optional[int] = typer.Option(None, help="Days between ordering servers and having them (default 1)."),
    min_reserved_servers: Optional[int] = typer.Option(None, help="Minimum reserved commitment in servers (default 0)."),
    service_level: Optional[float] = typer.Option(None, help="Plan at this quantile instead of the cost optimum."),
    views_per_server_day: Optional[float] = typer.Option(None, help="Views one server handles per day (default 5,000,000)."),
    peak_factor: Optional[float] = typer.Option(None, help="Busiest hour's rate over the day's average (default 2)."),
    headroom: Optional[float] = typer.Option(None, help="Explicit spare fraction on the plan (default 0)."),
    rule_headroom: Optional[float] = typer.Option(None, help="Headroom of the old 95%-bound rule compared with (default 0.2)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Torch threads (default 1; VIEWCAST_TORCH_THREADS)."),
) -> None:
    """Plan servers as a cost decision on the forecast's quantiles, and replay past plans against what came."""
    given = {
        name: value for name, value in locals().items() if name not in ("data", "out") and value is not None
    }  # unset: defaults
    from viewcast.capacity.config import CapacityPlanConfig
    from viewcast.capacity.pipeline import run
    from viewcast.errors import ConfigError
    from viewcast.io.outputs import check_output_folder

    check_output_folder(out, param="out")
    if out.resolve() == data.resolve() or out.resolve() in data.resolve().parents:
        raise ConfigError(f"{out}: writing here would replace {data}; choose another folder", param="out")
    result = run(data, CapacityPlanConfig.parse(given))
    result.save(out)
    _summary(result, out)


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add ``capacity`` to the root app."""
    app.command("capacity")(capacity_command)
