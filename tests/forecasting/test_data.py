"""Loading views: the study's messy format, the long format, every table type; errors name the cell.

(Bad command lines end to end are in test_bad_input.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.errors import ConfigError, DataValidationError
from viewcast.forecasting.data import load_views
from viewcast.forecasting.panel import MIN_KEPT_DAYS, aggregate
from viewcast.synth.influencers import generate_influencers, to_study_csv, write_influencers

STUDY_ROWS = """Day,TikTokerID,Category,"  Views  ",Likes,Followers
1,1,Fitness,"1,084,565","6,621,727","1,806,798"
1,2,Fashion,"2,543,656","7,472,186","2,987,342"
2,1,Fitness,"1,200,000","6,700,000","1,806,900"
2,2,Fashion,"2,600,000","7,500,000","2,987,500"
"""


def _write(tmp_path, text, name="v.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_study_format_with_spaces_and_separators(tmp_path):
    data = load_views(_write(tmp_path, STUDY_ROWS))
    assert data.axis.kind == "index"
    frame = data.frame.sort_values(["creator", "t"])
    assert frame["views"].tolist() == [1084565.0, 1200000.0, 2543656.0, 2600000.0]
    total = aggregate(data, "total")
    assert total.ids == ["total"] and total.values[0].tolist() == [1084565 + 2543656, 1200000 + 2600000]
    by_category = aggregate(data, "category")
    assert by_category.ids == ["Fashion", "Fitness"]


def test_iso_dates_and_long_format(tmp_path):
    text = "unique_id,ds,y\na,2024-03-01,10\na,2024-03-02,12\nb,2024-03-02,5\n"
    data = load_views(_write(tmp_path, text))
    assert data.axis.kind == "date" and data.axis.origin == "2024-03-01"
    panel = aggregate(data, "creator")
    assert panel.ids == ["a", "b"] and panel.starts.tolist() == [0, 1]
    assert data.axis.label_strings([2]) == ["2024-03-03"]
    with pytest.raises(DataValidationError, match="needs a Category column"):
        aggregate(data, "category")


def test_leading_zeros_are_days_before_a_creator_joined():
    days = pd.date_range("2024-01-01", periods=200).strftime("%Y-%m-%d")
    series = {
        "joined_day_120": np.r_[np.zeros(120), np.arange(1.0, 81.0)],
        "joined_day_180": np.r_[np.zeros(180), np.ones(20)],  # 20 days of views: keeps its last 56 days
        "never_viewed": np.zeros(200),
        "pause_later": np.r_[5.0, np.zeros(50), np.ones(149)],  # a zero stretch after the first view stays
    }
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": days, "y": v}) for k, v in series.items()])
    panel = aggregate(load_views(frame), "creator")
    assert panel.ids == sorted(series)
    got = dict(zip(panel.ids, zip(panel.starts.tolist(), panel.values)))
    assert got["joined_day_120"][0] == 120 and got["joined_day_120"][1].tolist() == list(np.arange(1.0, 81.0))
    assert got["joined_day_180"][0] == 200 - MIN_KEPT_DAYS and got["joined_day_180"][1].sum() == 20
    assert got["never_viewed"][0] == 0 and len(got["never_viewed"][1]) == 200
    assert got["pause_later"][0] == 0 and len(got["pause_later"][1]) == 200
    assert (panel.ends() == 199).all() and panel.trimmed == 2
    assert panel.notes() == [
        f"2 series begin with days of zero views: each is read from its first day with views (at least its last "
        f"{MIN_KEPT_DAYS} days), as a creator who joined then."
    ]
    # the total (and a category) is read the same way: zeros before anyone had views are not history
    total = aggregate(load_views(frame), "total")
    assert total.starts.tolist() == [0] and total.trimmed == 0  # pause_later had views on day 0


def test_dataframe_input_matches_file(tmp_path):
    path = _write(tmp_path, STUDY_ROWS)
    from_file = load_views(path).frame
    from_frame = load_views(pd.read_csv(path, dtype=str)).frame
    pd.testing.assert_frame_equal(from_file.reset_index(drop=True), from_frame.reset_index(drop=True))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Day,TikTokerID,Category,Likes\n1,1,DIY,5\n", r"missing column 'Views'"),
        ("Day,TikTokerID,Category,Views\n1,1,DIY,lots\n", r"row 2, column 'Views': 'lots' is not a number"),
        ("Day,TikTokerID,Category,Views\n1,1,DIY,5\n2,1,DIY,-3\n", r"row 3, column 'Views': negative value"),
        ("Day,TikTokerID,Category,Views\n1,1,DIY,5\n1,1,DIY,6\n", r"rows 2, 3: duplicate rows for creator '1' on day 1"),
        ("", r"file is empty"),
        ("Day,TikTokerID,Category,Views\n", r"no data rows"),
        ("Day,TikTokerID,Category,Views\nMonday,1,DIY,5\n", r"neither a day number nor a date"),
    ],
)
def test_bad_inputs_raise_with_location(tmp_path, text, message):
    with pytest.raises(DataValidationError, match=message):
        load_views(_write(tmp_path, text))


def test_gap_policies_fill_and_report(tmp_path):
    text = "Day,TikTokerID,Category,Views\n1,1,DIY,10\n2,1,DIY,20\n4,1,DIY,40\n"
    path = _write(tmp_path, text)
    interpolated = load_views(path)
    assert interpolated.frame["views"].tolist() == [10, 20, 30, 40]
    assert interpolated.filled_days == 1 and "filled by 'interpolate'" in interpolated.notes[0]
    assert "no backtest score or band is calibrated on them" in interpolated.notes[0]
    ffilled = load_views(path, gap_policy="ffill").frame
    assert ffilled["views"].tolist() == [10, 20, 20, 40]
    # estimated days are marked (never scored); 'zero' declares a missing row a day without views
    assert ffilled["filled"].tolist() == interpolated.frame["filled"].tolist() == [False, False, True, False]
    zero = load_views(path, gap_policy="zero")
    assert zero.frame["views"].tolist() == [10, 20, 0, 40] and not zero.frame["filled"].any()
    assert "1 missing creator-day value(s) read as days without views ('zero')" in zero.notes[0]
    with pytest.raises(DataValidationError, match="no row for day.*3"):
        load_views(path, gap_policy="error")


def test_interpolation_keeps_the_weekly_profile_across_an_outage():
    days = np.arange(0, 42)
    profile = np.array([100.0, 120.0, 140.0, 160.0, 180.0, 60.0, 40.0])
    views = profile[days % 7] * (1 + days / 100)  # weekly swing on a slow trend
    kept = (days < 15) | (days > 24)  # ten days lost, days 15-24
    frame = pd.DataFrame({"unique_id": "a", "ds": days[kept], "y": views[kept]})
    loaded = load_views(frame).frame.set_index("t")
    lost = np.arange(15, 25)
    # each lost day lies on the line between the same weekday a week or two before and after
    before, after = lost - 7 * np.ceil((lost - 14) / 7).astype(int), lost + 7 * np.ceil((25 - lost) / 7).astype(int)
    expected = views[before] + (views[after] - views[before]) * (lost - before) / (after - before)
    np.testing.assert_allclose(loaded.loc[lost, "views"], expected)
    assert loaded.loc[lost, "views"].max() > 1.5 * loaded.loc[lost, "views"].min()  # not a straight line across
    assert loaded.loc[lost, "filled"].all() and loaded["filled"].sum() == len(lost)
    # a gap in the last days, whose weekday has no later day, is filled from its neighbours
    tail = load_views(frame[frame["ds"] != 40]).frame.set_index("t")
    assert tail.at[40, "views"] == pytest.approx((views[39] + views[41]) / 2)


def test_routine_weekday_gaps_are_zeros_and_other_gaps_are_interpolated_between_real_days(tmp_path):
    days = np.arange(1, 71)  # day numbers are the axis: weekday k is day mod 7
    views = 100.0 + days
    kept = (days % 7 != 0) & (days != 30)  # no row on days 7, 14, ... (every week), nor on day 30
    frame = pd.DataFrame({"unique_id": "shop", "ds": days[kept], "y": views[kept]})
    for policy in ("interpolate", "ffill"):
        data = load_views(frame, gap_policy=policy)
        loaded = data.frame.set_index("t")
        sevenths = loaded.index % 7 == 0
        assert sevenths.sum() == 9 and (loaded.loc[sevenths, "views"] == 0).all() and not loaded.loc[sevenths, "filled"].any()
        assert loaded.at[30, "filled"] and loaded["filled"].sum() == 1
        assert loaded.at[30, "views"] == (130.0 if policy == "interpolate" else 129.0)  # from days 29 and 31, not a zero
        assert "have no rows on some weekdays in each of their last 8 weeks" in data.notes[0]
        assert "shop (days 0 mod 7)" in data.notes[0]
    # fewer than eight weeks of the pattern: an ordinary gap, interpolated
    short = load_views(frame[frame["ds"] <= 50]).frame.set_index("t")
    assert short.at[7, "views"] == 107.0 and short.at[7, "filled"]


def test_synth_writes_study_format_reproducibly(tmp_path):
    first = write_influencers(tmp_path / "a.csv", creators=4, days=20, seed=3)
    write_influencers(tmp_path / "b.csv", creators=4, days=20, seed=3)
    text = (tmp_path / "a.csv").read_text()
    assert text == (tmp_path / "b.csv").read_text()
    header, row = text.splitlines()[:2]
    assert header == 'Day,TikTokerID,Category,"  Views  "," Likes ","Followers  "'
    assert '","' in row and "," in row.split('"')[1]  # quoted numbers with thousands separators
    loaded = load_views(tmp_path / "a.csv")
    assert len(loaded.frame) == 80
    expected = first.frame.sort_values(["creator", "day"])["views"].to_numpy(float)
    np.testing.assert_array_equal(loaded.frame.sort_values(["creator", "t"])["views"].to_numpy(), expected)
    assert set(first.frame["category"]) <= {"Fitness", "Fashion", "DIY", "Comedy", "Food", "Gaming", "Beauty", "Travel"}


def test_synth_has_weekly_pattern_and_growth():
    synth = generate_influencers(creators=20, days=100, seed=1)
    views = synth.frame.pivot(index="day", columns="creator", values="views").to_numpy(float)
    assert (views[-14:].mean(axis=0) > views[:14].mean(axis=0)).all()  # every creator grows
    detrended = views / pd.DataFrame(views).rolling(7, center=True, min_periods=1).mean().to_numpy()
    weekday_means = np.array([detrended[d::7].mean() for d in range(7)])
    assert weekday_means.max() - weekday_means.min() > 0.1  # a real weekly cycle
    assert to_study_csv(synth.frame, start_date="2024-01-01").splitlines()[1].startswith("2024-01-01,")


def test_bad_day_cell_is_reported_where_it_is(tmp_path):
    rows = "".join(f"{d},1,DIY,10\n" for d in range(1, 9)) + "abc,1,DIY,10\n"
    with pytest.raises(DataValidationError, match=r"row 10, column 'Day': 'abc' is not a whole day number"):
        load_views(_write(tmp_path, "Day,TikTokerID,Category,Views\n" + rows))
    mixed = "Day,TikTokerID,Category,Views\n1,1,DIY,10\n2024-01-05,1,DIY,10\n"
    with pytest.raises(DataValidationError, match=r"row 3, column 'Day': '2024-01-05'"):
        load_views(_write(tmp_path, mixed, "m.csv"))


def test_format_is_decided_by_the_columns_present(tmp_path):
    with pytest.raises(DataValidationError, match=r"missing column 'y'.*long format needs unique_id, ds, y"):
        load_views(_write(tmp_path, "unique_id,ds,Views\na,1,5\n"))
    with pytest.raises(DataValidationError, match=r"missing column 'ds'"):
        load_views(pd.DataFrame({"unique_id": ["a"], "y": [5]}))
    with pytest.raises(DataValidationError, match=r"missing columns 'TikTokerID', 'Category'.*study's format"):
        load_views(_write(tmp_path, "Day,Views,y\n1,5,5\n"))
    creators = load_views(_write(tmp_path, "Day,creator_id,Category,Views\n1,x,DIY,5\n", "alias.csv"))
    assert creators.frame["creator"].tolist() == ["x"]


def test_dataframe_headers_follow_the_file_rules():
    frame = pd.DataFrame({" unique_id ": ["a", "a"], "ds": [1, 2], "y": [3.0, 4.0]})
    assert load_views(frame).frame["views"].tolist() == [3.0, 4.0]
    twice = pd.DataFrame([["a", 1, 3, 4]], columns=["unique_id", "ds", "y", " Y"])
    with pytest.raises(DataValidationError, match=r"columns 'y' and 'Y' name the same column"):
        load_views(twice)
    with pytest.raises(DataValidationError, match=r"'1e\+300' is beyond 1e\+15"):
        load_views(pd.DataFrame({"unique_id": ["a"], "ds": [1], "y": [1e300]}))


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".json", ".jsonl"])
def test_every_table_type_loads_the_same_views(tmp_path, suffix):
    frame = pd.DataFrame({"unique_id": ["a", "a", "b"], "ds": ["2024-03-01", "2024-03-02", "2024-03-02"], "y": [10, 12, 5]})
    path = tmp_path / f"v{suffix}"
    {
        ".xlsx": lambda: frame.to_excel(path, index=False),
        ".parquet": lambda: frame.to_parquet(path, index=False),
        ".json": lambda: frame.to_json(path, orient="records"),
        ".jsonl": lambda: frame.to_json(path, orient="records", lines=True),
    }[suffix]()
    data = load_views(path)
    assert data.axis.origin == "2024-03-01"
    assert data.frame.sort_values(["creator", "t"])[["creator", "t", "views"]].values.tolist() == [
        ["a", 0, 10.0],
        ["a", 1, 12.0],
        ["b", 1, 5.0],
    ]


def test_days_beyond_any_calendar_are_refused(tmp_path):
    with pytest.raises(DataValidationError, match=r"row 3, column 'Day': day number '20000000' is beyond"):
        load_views(_write(tmp_path, "Day,TikTokerID,Category,Views\n1,1,DIY,5\n20000000,1,DIY,5\n"))
    with pytest.raises(DataValidationError, match=r"creator '1' spans 50,001 days"):
        load_views(_write(tmp_path, "Day,TikTokerID,Category,Views\n1,1,DIY,5\n50001,1,DIY,5\n", "b.csv"))

    def staggered(lag: int) -> str:
        return "unique_id,ds,y\n" + "".join(f"a,{d},5\nb,{d + lag},5\n" for d in range(20))

    with pytest.raises(DataValidationError, match=r"creator 'a' ends on 19, 367 days before the latest series \(386\)"):
        load_views(_write(tmp_path, staggered(367), "d.csv"))
    assert load_views(_write(tmp_path, staggered(366), "e.csv")).frame["creator"].nunique() == 2
    late = load_views(_write(tmp_path, "unique_id,ds,y\na,2262-04-01,5\n", "c.csv"))
    late.axis.check_reaches(10)
    with pytest.raises(DataValidationError, match=r"run past 2262-04-11"):
        late.axis.check_reaches(11)


def test_synth_options_are_checked_first():
    with pytest.raises(ConfigError, match="greater than or equal to 1") as caught:
        generate_influencers(creators=0)
    assert caught.value.param == "creators"
    with pytest.raises(ConfigError, match="more than 10,000,000 rows"):
        generate_influencers(creators=100_000, days=1_000)
