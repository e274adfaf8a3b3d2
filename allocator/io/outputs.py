"""Every output file of a solve, written into one directory: :func:`write_outputs`."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from allocator.excel.result import write_result_workbook
from allocator.i18n import DEFAULT_LANG, Lang
from allocator.io.cells import spreadsheet_frame
from allocator.io.dump import result_to_json
from allocator.io.errors import InputError
from allocator.io.write import write_file
from allocator.report.activities import activity_plan, write_activities_csv, write_ical
from allocator.report.html import write_report
from allocator.report.letters import write_letters
from models.plan import Result
from models.scenario import Scenario

__all__ = ["PLAN_FILES", "households_frame", "write_outputs"]

#: Files :func:`write_outputs` writes only when there is a plan.
PLAN_FILES = ("plan.json", "households.csv", "activities.csv", "activities.ics")


def households_frame(result: Result, scenario: Scenario) -> pd.DataFrame:
    """One row per household: where it goes and when (a pandas DataFrame).

    Parameters
    ----------
    result
        A result with a plan.
    scenario
        The scenario that was solved.

    Returns
    -------
    pandas.DataFrame
        Columns: household, name, dwelling, persons, agreement, stage, mode,
        notice_date, move_out, place, place_source, return_date,
        return_letter_date, after_dwelling, permanent_dwelling.
    """
    assert result.plan is not None
    rows = []
    for hp in result.plan.households:
        household = scenario.household(hp.household)
        rows.append(
            {
                "household": hp.household,
                "name": household.name,
                "dwelling": household.dwelling,
                "persons": household.persons,
                "agreement": household.agreement.value,
                "stage": hp.stage,
                "mode": hp.mode.value,
                "notice_date": hp.notice_date.isoformat(),
                "move_out": hp.move_out.isoformat(),
                "place": hp.place,
                "place_source": hp.place_source.value if hp.place_source else None,
                "return_date": hp.return_date.isoformat() if hp.return_date else None,
                "return_letter_date": (
                    hp.return_letter_date.isoformat() if hp.return_letter_date else None
                ),
                "after_dwelling": hp.after_dwelling,
                "permanent_dwelling": hp.permanent_dwelling,
            }
        )
    columns = [
        "household",
        "name",
        "dwelling",
        "persons",
        "agreement",
        "stage",
        "mode",
        "notice_date",
        "move_out",
        "place",
        "place_source",
        "return_date",
        "return_letter_date",
        "after_dwelling",
        "permanent_dwelling",
    ]
    return pd.DataFrame(rows, columns=columns)


def write_outputs(
    result: Result,
    scenario: Scenario,
    out_dir: Path,
    *,
    template_dir: Path | None = None,
    organisation: str | None = None,
    lang: Lang = DEFAULT_LANG,
    pdf: bool = False,
) -> list[Path]:
    """Write the output files of a solve into ``out_dir``, each atomically.

    Always ``result.xlsx`` (the result workbook), ``report.html`` with its
    PNG charts, and ``result.json`` (status, figures, solver info and the
    plan). With a plan also ``plan.json`` (readable by ``genhus check``),
    ``households.csv``, the activity plan as ``activities.csv`` and
    ``activities.ics``, and the letters in ``letters/``. Without a plan,
    plan files left by an earlier run are removed so the directory never
    mixes two runs. ``result.json`` is written last.

    Parameters
    ----------
    result
        What the solver returned (already checked).
    scenario
        The scenario that was solved.
    out_dir
        Output directory; created if missing.
    template_dir
        An organisation's own letter templates (Jinja2), if any.
    organisation
        The organisation's name for the letters.
    lang
        The language of every planner output (report, workbook, letters,
        activity plan); ``plan.json``, ``result.json`` and ``households.csv``
        are data and keep their codes.
    pdf
        Also print the letters to PDF (:mod:`allocator.report.pdf`); see
        ``letters/index.html`` for why that may not happen.

    Returns
    -------
    list of Path
        The files written (letters counted as their directory).

    Raises
    ------
    InputError
        If an organisation's letter template fails while rendering (see
        :func:`allocator.report.letters.check_templates` for what is found
        before).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    activities = None
    if result.plan is not None:
        plan_path = out_dir / "plan.json"
        write_file(plan_path, result.plan.model_dump_json(indent=2) + "\n")
        written.append(plan_path)
        csv_path = out_dir / "households.csv"
        frame = spreadsheet_frame(households_frame(result, scenario))
        write_file(csv_path, frame.to_csv(index=False))
        written.append(csv_path)
        activities = activity_plan(scenario, result.plan, lang=lang)
        written.append(write_activities_csv(out_dir / "activities.csv", activities))
        written.append(
            write_ical(out_dir / "activities.ics", activities, name=scenario.name, lang=lang)
        )
        try:
            write_letters(
                out_dir / "letters",
                scenario,
                result.plan,
                template_dir=template_dir,
                organisation=organisation,
                lang=lang,
                pdf=pdf,
            )
        except jinja2.TemplateError as exc:  # the sandbox refused, or a name is missing
            where = f"{template_dir}: " if template_dir is not None else ""
            raise InputError([f"{where}letter template: {exc}"]) from exc
        written.append(out_dir / "letters")
    else:
        for name in PLAN_FILES:
            (out_dir / name).unlink(missing_ok=True)
        shutil.rmtree(out_dir / "letters", ignore_errors=True)
    workbook = out_dir / "result.xlsx"
    write_result_workbook(workbook, scenario, result, activities, lang=lang)
    written.append(workbook)
    written.append(write_report(out_dir, scenario, result, lang=lang))
    result_path = out_dir / "result.json"
    write_file(result_path, result_to_json(result))
    written.append(result_path)
    return written
