"""The process and activity plan of the hand-made case (see ``test_report.py``)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import icalendar
import pandas as pd
import pytest
from test_report import make_case, make_plan, make_scenario

from allocator.report.activities import COLUMNS, activity_plan, write_activities_csv, write_ical
from models.plan import Plan

D = date.fromisoformat


@pytest.fixture(scope="module")
def plan_df() -> pd.DataFrame:
    scenario, plan, _ = make_case()
    return activity_plan(scenario, plan)


def _one(df: pd.DataFrame, code: str, **where: str | None) -> date:
    rows = df[df["code"] == code]
    for col, value in where.items():
        rows = rows[rows[col].isna()] if value is None else rows[rows[col] == value]
    assert len(rows) == 1, (code, where, rows)
    result: date = rows.iloc[0]["date"]
    return result


def test_columns_and_order(plan_df: pd.DataFrame) -> None:
    assert list(plan_df.columns) == COLUMNS
    dates = list(plan_df["date"])
    assert dates == sorted(dates)
    assert all(isinstance(d, date) for d in dates)
    # 7 per stage, 2 per household, 3 per temporary household and 1 per permanent
    # mover, 2 per dwelling that is released (collect + release; P1 is let for
    # good), 1 for P1, 2 for the pavilion module and 2 per time-limited lease.
    assert len(plan_df) == 7 * 2 + 2 * 4 + 3 * 3 + 1 + 2 * 2 + 1 + 2 + 2
    assert plan_df["uid"].is_unique


def test_stage_deadlines(plan_df: pd.DataFrame) -> None:
    # S1 works [2025-09-01, 2026-03-01); clearing 30 days; ready 14 days. Its
    # clearing deadline, Saturday 2025-08-02, moves to Friday 2025-08-01, when
    # its households move out; deadlines fall on working days.
    assert _one(plan_df, "stage_meeting", stage="S1") == D("2025-04-24")  # notice - 7 days
    # 3 months before the first move (2025-08-01)
    assert _one(plan_df, "legal_notice", stage="S1") == D("2025-05-01")
    assert _one(plan_df, "separate_lease", stage="S1") == D("2025-07-01")  # clearing - 1 month
    assert _one(plan_df, "clearing", stage="S1") == D("2025-08-01")  # start - 30 days, Friday
    assert _one(plan_df, "works_start", stage="S1") == D("2025-09-01")
    assert _one(plan_df, "works_end", stage="S1") == D("2026-03-01")
    assert _one(plan_df, "ready", stage="S1") == D("2026-03-15")  # end + 14 days
    # S2: notice 4 months before start, Sunday 2026-02-01 -> Friday 2026-01-30; the
    # meeting a week before; clearing Saturday 2026-05-02 -> Friday 2026-05-01
    assert _one(plan_df, "stage_meeting", stage="S2") == D("2026-01-23")
    assert _one(plan_df, "legal_notice", stage="S2") == D("2026-01-30")
    assert _one(plan_df, "clearing", stage="S2") == D("2026-05-01")
    assert _one(plan_df, "ready", stage="S2") == D("2026-10-15")


def test_household_deadlines(plan_df: pd.DataFrame) -> None:
    assert _one(plan_df, "interview", household="H1") == D("2024-08-02")  # a year before
    assert _one(plan_df, "notice", household="H1") == D("2025-05-01")  # R3
    assert _one(plan_df, "move_out", household="H1") == D("2025-08-02")
    assert _one(plan_df, "return_letter", household="H1") == D("2026-02-15")  # R4
    assert _one(plan_df, "return", household="H1") == D("2026-03-15")
    assert _one(plan_df, "return", household="H2") == D("2026-03-15")
    assert _one(plan_df, "permanent_move", household="H3") == D("2025-08-02")
    assert _one(plan_df, "interview", household="H4") == D("2025-05-02")
    assert _one(plan_df, "return_letter", household="H4") == D("2026-09-15")
    row = plan_df[(plan_df["code"] == "permanent_move")].iloc[0]
    assert row["place"] == "P1"
    assert row["rule"] == "R8"
    assert "Permanent" in row["activity"]
    h2 = plan_df[(plan_df["code"] == "return") & (plan_df["household"] == "H2")].iloc[0]
    assert "N1" in h2["activity"]


def test_place_deadlines(plan_df: pd.DataFrame) -> None:
    # R1's time-limited lease ends Saturday 2025-07-26: reminder 5 weeks before
    # (R4), Saturday 2025-06-21, on the working day before
    assert _one(plan_df, "lease_reminder", place="R1") == D("2025-06-20")
    assert _one(plan_df, "lease_end", place="R1") == D("2025-07-26")
    # The pavilion module is first used 2025-08-02 with 90 days' lead time:
    # ordered by Sunday 2025-05-04, so by Friday 2025-05-02.
    assert _one(plan_df, "pavilion_order", place="PAV-1") == D("2025-05-02")
    assert _one(plan_df, "release", place="PAV-1") == D("2026-03-15")
    assert _one(plan_df, "collect", place="R1") == D("2025-03-01")
    assert _one(plan_df, "release", place="R1") == D("2026-10-15")
    assert _one(plan_df, "collect", place="P1") == D("2025-07-01")
    assert plan_df[(plan_df["code"] == "release") & (plan_df["place"] == "P1")].empty
    stage_rows = plan_df[plan_df["code"] == "works_start"]
    assert stage_rows["household"].isna().all() and stage_rows["place"].isna().all()


def test_csv_parses_back(tmp_path: Path, plan_df: pd.DataFrame) -> None:
    path = write_activities_csv(tmp_path / "activities.csv", plan_df)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == COLUMNS
    assert len(back) == len(plan_df)
    assert list(back["date"]) == [d.isoformat() for d in plan_df["date"]]
    assert list(back["uid"]) == list(plan_df["uid"])
    assert "Opsigelse sendes anbefalet (opsigelsesbrev)" in set(back["activity"])
    assert (back[back["code"] == "works_start"]["household"] == "").all()


def test_ical_parses_back(tmp_path: Path, plan_df: pd.DataFrame) -> None:
    path = write_ical(tmp_path / "activities.ics", plan_df, name="Testafdeling")
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    # Household rows of one day, stage and activity share one event.
    groups = plan_df.groupby(
        [plan_df["date"], plan_df["stage"], plan_df["code"], plan_df["household"].isna()]
    )
    singles = plan_df[plan_df["household"].isna()]
    shared = plan_df[plan_df["household"].notna()].groupby(["date", "stage", "code", "activity"])
    assert len(events) == len(singles) + shared.ngroups < len(plan_df)
    assert len(groups) <= len(events)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert set(singles["uid"]) <= set(uids)  # a stage's or a place's event keeps its row's id
    for event in events:
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        # All-day events: dates, not datetimes, one day long.
        assert isinstance(start, date) and not isinstance(start, datetime)
        assert start in set(plan_df["date"])
        assert (end - start).days == 1
    # Every household of a grouped event is named in its description.
    for (day, _stage, code, _activity), rows in shared:
        event = next(
            e
            for e in events
            if e.decoded("DTSTART") == day and rows["activity"].iloc[0] in str(e["SUMMARY"])
        )
        for household in rows["household"]:
            assert f"Husstand {household}" in str(event["DESCRIPTION"]), code
    interviews = [e for e in events if "beboersamtale" in str(e["SUMMARY"])]
    n_interviews = len(plan_df[plan_df["code"] == "interview"])
    assert 0 < len(interviews) < n_interviews  # one event a day, not one per household
    notice = next(
        e
        for e in events
        if "Husstand H1" in str(e["DESCRIPTION"]) and "Opsigelse" in str(e["SUMMARY"])
    )
    assert str(notice["SUMMARY"]).startswith("[S1] Opsigelse sendes anbefalet (opsigelsesbrev)")
    assert "R3" in str(notice["DESCRIPTION"])


def test_ical_is_idempotent_and_uids_stable(tmp_path: Path) -> None:
    scenario = make_scenario()
    plan = make_plan()
    df = activity_plan(scenario, plan)
    first = write_ical(tmp_path / "a.ics", df).read_bytes()
    second = write_ical(tmp_path / "b.ics", activity_plan(scenario, plan)).read_bytes()
    assert first == second
    # A later plan moves H1's move-out: the events keep their UIDs.
    changed = [
        hp.model_copy(update={"move_out": D("2025-07-30")}) if hp.household == "H1" else hp
        for hp in plan.households
    ]
    plan2 = Plan.model_validate({**plan.model_dump(), "households": changed})
    df2 = activity_plan(scenario, plan2)
    uid = df[(df["code"] == "move_out") & (df["household"] == "H1")]["uid"].item()
    row2 = df2[df2["uid"] == uid]
    assert len(row2) == 1 and row2["date"].item() == D("2025-07-30")
    assert set(df["uid"]) == set(df2["uid"])
