"""Names in any script come out of the figures readable (series in the forecast's, columns and
levels in the follower drivers'): drawn where a font has the characters, written as code points
where none has (never as empty boxes)."""

from __future__ import annotations

import io
import warnings

import numpy as np

import viewcast
from viewcast.followers import FollowersConfig
from viewcast.followers import run as followers_run
from viewcast.followers.report import figures as followers_figures
from viewcast.forecasting.report import backtest_figure, forecast_figure
from viewcast.report import figures
from viewcast.synth.series import to_long
from viewcast.synth.videos import generate_videos

NAMES = ("星野源", "🔥cooking", "Яшин", "Amélie")


def _drawn_titles(figure) -> tuple[list[str], list[str]]:
    """The axes' titles, and matplotlib's warnings while the figure was drawn."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    titles = [ax.get_title() for ax in figure.axes]
    return titles, [str(w.message) for w in caught]


def test_drawable_escapes_only_what_no_installed_font_draws(monkeypatch):
    dejavu = figures.FT2Font(figures.font_manager.findfont("DejaVu Sans")).get_charmap()
    monkeypatch.setattr(figures, "installed_name_fonts", lambda: (("DejaVu Sans",), frozenset(dejavu)))
    assert figures.drawable("Amélie Яшин Ωmega\tcafé 42") == "Amélie Яшин Ωmega\tcafé 42"
    assert figures.drawable("星野源_ja") == "\\u661f\\u91ce\\u6e90_ja"
    assert figures.drawable("🔥cooking") == "\\U0001f525cooking"


def test_forecast_figures_draw_every_name_without_missing_glyphs():
    rng = np.random.default_rng(3)
    series = {name: 1000 + 50 * np.sin(np.arange(120) * 2 * np.pi / 7) + rng.normal(0, 20, 120) for name in NAMES}
    result = viewcast.forecast(to_long(series), horizon=14, model="seasonal_naive", by="creator", progress=False)
    characters = figures.installed_name_fonts()[1]
    for figure in (forecast_figure(result), backtest_figure(result)):
        titles, messages = _drawn_titles(figure)
        assert not [m for m in messages if "missing from font" in m], messages
        assert all(c.isspace() or ord(c) in characters for title in titles for c in title), titles
    titles, _ = _drawn_titles(forecast_figure(result))
    shown = {figures.drawable(f"series {name}") for name in NAMES}
    assert shown <= set(titles), titles  # every series plotted, its name as drawn


def test_follower_figures_draw_column_and_level_names_in_any_script():
    frame = generate_videos(194, 1).frame.rename(columns={"saves": "收藏"})
    frame["category"] = frame["category"].replace({"Career": "职业"})
    result = followers_run(frame, FollowersConfig(cv_folds=0, scale="log", seed=1))
    assert {"收藏", "category_职业"} <= set(result.coefficients.index)
    characters = figures.installed_name_fonts()[1]
    for figure in followers_figures(result).values():
        _, messages = _drawn_titles(figure)
        assert not [m for m in messages if "missing from font" in m], messages
    labels = [t.get_text() for t in followers_figures(result)["coefficients"].axes[0].get_yticklabels()]
    assert {figures.drawable("收藏"), figures.drawable("category_职业")} <= set(labels)
    assert all(c.isspace() or ord(c) in characters for label in labels for c in label), labels
