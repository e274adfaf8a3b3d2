"""``genhus solve``: plan a scenario, check the plan, write the outputs."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from pathlib import Path

import click
from rich.console import Console

from allocator.cli.common import (
    EXIT_CODES_HELP,
    STATUS_EXIT,
    ExitCode,
    FiniteFloat,
    fail_input,
    fail_internal,
    lang_option,
    load,
    seed_option,
    stop_on_signals,
    workers_option,
)
from allocator.explain.capacity import analyse, shortages
from allocator.explain.marginal import marginal_values
from allocator.explain.words import describe_row
from allocator.i18n import N_, Lang, gettext, money, ngettext
from allocator.io.dump import result_to_json
from allocator.io.errors import InputError
from allocator.io.outputs import write_outputs
from allocator.io.write import claim_directory
from allocator.labels import label
from allocator.plan.check import check_plan
from allocator.report.letters import check_templates, letter_problems
from allocator.report.pdf import pdf_renderer
from allocator.report.summary import make_console, print_result
from allocator.report.why import print_diagnosis, print_marginal
from allocator.solving.entry import solve
from allocator.solving.progress import Progress
from allocator.solving.settings import Strategy

__all__ = ["solve_command"]


@click.command("solve", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=FiniteFloat(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="S",
    help="Time limit in seconds for building and searching the model "
    "(loading, checking and writing come on top).",
)
@workers_option()
@seed_option()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write result.json, plan.json and households.csv to DIR.",
)
@click.option(
    "--gap",
    "gap_limit",
    type=FiniteFloat(min=0),
    default=0.001,
    show_default=True,
    help="Stop once the plan is proven within this relative gap (0: prove optimality).",
)
@click.option(
    "--strategy",
    type=click.Choice([s.value for s in Strategy]),
    default=Strategy.LP_GUIDED.value,
    show_default=True,
    help="LP-guided search (default) or CP-SAT alone.",
)
@click.option(
    "--templates",
    "template_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory with the organisation's own letter templates.",
)
@click.option("--organisation", default=None, help="Organisation name used in the letters.")
@click.option(
    "--why",
    is_flag=True,
    help="Also measure what one more place, a point of overcapacity and a month of delay "
    "are worth (LP re-solves), for the summary, the report and the workbook.",
)
@click.option(
    "--pdf/--no-pdf",
    default=False,
    help="Also print the letters to PDF (WeasyPrint or headless Chromium; HTML if neither).",
)
@lang_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON, not a summary.")
@click.option("--log/--no-log", default=False, help="Show the CP-SAT search log on stderr.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on stderr.")
def solve_command(
    scenario: Path,
    time_limit: float,
    workers: int,
    seed: int,
    out_dir: Path | None,
    gap_limit: float,
    strategy: str,
    template_dir: Path | None,
    organisation: str | None,
    why: bool,
    pdf: bool,
    lang: Lang,
    as_json: bool,
    log: bool,
    quiet: bool,
) -> None:
    """Find a rehousing plan for SCENARIO and print its summary.

    The plan is verified by the independent plan checker before anything is
    printed or written; a plan that fails it is an internal error (exit 4).
    The first SIGINT (Ctrl-C) or SIGTERM stops the search: the best plan
    found so far is checked and, with --out, written (exit 5).
    """
    _ = gettext
    if template_dir is not None:
        try:  # before the search and before anything is written
            check_templates(template_dir)
        except InputError as error:
            fail_input(error, lang)
    with ExitStack() as stack:
        if out_dir is not None:
            try:  # before minutes of search, not after
                stack.enter_context(claim_directory(out_dir))
            except OSError as exc:
                click.echo(
                    _("%(dir)s: cannot write the outputs here: %(error)s", lang)
                    % {"dir": out_dir, "error": exc},
                    err=True,
                )
                sys.exit(ExitCode.BAD_INPUT)
        stop = stack.enter_context(
            stop_on_signals(_("stopping: the best plan found so far is kept (exit 5)", lang))
        )
        stopped = stop.is_set

        def progress(message: str) -> None:
            if not quiet:
                click.echo(message, err=True)

        data = load(scenario, lang)
        progress(
            _("loaded %(file)s: %(stages)s, %(households)s, %(dwellings)s", lang)
            % {
                "file": scenario,
                "stages": ngettext("%(num)d stage", "%(num)d stages", len(data.stages), lang)
                % {"num": len(data.stages)},
                "households": ngettext(
                    "%(num)d household", "%(num)d households", len(data.households), lang
                )
                % {"num": len(data.households)},
                "dwellings": ngettext(
                    "%(num)d dwelling", "%(num)d dwellings", len(data.dwellings), lang
                )
                % {"num": len(data.dwellings)},
            }
        )
        for row in shortages(analyse(data)):
            progress(_("capacity shortage: ", lang) + describe_row(row, lang))
        if stopped():
            click.echo(_("stopped before the search: nothing written", lang), err=True)
            sys.exit(ExitCode.STOPPED)
        progress(
            _("solving (time limit %(limit)s s, %(workers)d workers, seed %(seed)d) ...", lang)
            % {"limit": f"{time_limit:g}", "workers": workers, "seed": seed}
        )
        live = not (quiet or as_json or log)
        status_line = Console(stderr=True).status(_("solving ...", lang))
        try:
            with status_line if live else nullcontext():

                def show(p: Progress) -> None:
                    status_line.update(
                        _(
                            "solving: %(elapsed)s s  best %(best)s  bound %(bound)s  gap %(gap)s",
                            lang,
                        )
                        % {
                            "elapsed": f"{p.elapsed:5.1f}",
                            "best": money(p.objective, lang),
                            "bound": money(p.bound, lang),
                            "gap": f"{p.gap:.2%}",
                        }
                    )

                # in a thread, so that this one is free to run the signal handlers
                with ThreadPoolExecutor(1, thread_name_prefix="genhus-solve") as pool:
                    result = pool.submit(
                        solve,
                        data,
                        time_limit=time_limit,
                        num_workers=workers,
                        seed=seed,
                        log=log,
                        gap_limit=gap_limit,
                        strategy=strategy,
                        on_progress=show if live else None,
                        stop=stopped,
                    ).result()
        except Exception:
            fail_internal(N_("the solver raised an exception"), lang)
        interrupted = stopped()
        progress(
            _("status %(status)s after %(seconds)s s", lang)
            % {"status": label(result.status, lang), "seconds": f"{result.runtime:.1f}"}
        )

        code = ExitCode.STOPPED if interrupted else STATUS_EXIT[result.status]
        if code is ExitCode.OK and result.plan is None:
            what = _("status %(status)s but no plan", lang) % {"status": result.status.value}
            click.echo(_("internal error: %(what)s", lang) % {"what": what}, err=True)
            sys.exit(ExitCode.INTERNAL)
        if result.plan is not None:
            try:
                report = check_plan(data, result.plan, objective=result.objective)
            except Exception:
                fail_internal(N_("the plan checker raised an exception"), lang)
            if report.violations:
                n = len(report.violations)
                click.echo(
                    _(
                        "internal error: the plan failed the plan checker "
                        "(%(violations)s); nothing written",
                        lang,
                    )
                    % {
                        "violations": ngettext("%(num)d violation", "%(num)d violations", n, lang)
                        % {"num": n}
                    },
                    err=True,
                )
                for violation in report.violations:
                    click.echo(f"  - {violation}", err=True)
                sys.exit(ExitCode.INTERNAL)
            progress(_("plan checked: 0 violations", lang))
            if why and not interrupted:
                progress(_("measuring marginal values (LP re-solves) ...", lang))
                result = result.model_copy(update={"marginal": marginal_values(data)})

        if out_dir is not None and not (interrupted and result.plan is None):
            try:
                written = write_outputs(
                    result,
                    data,
                    out_dir,
                    template_dir=template_dir,
                    organisation=organisation,
                    lang=lang,
                    pdf=pdf,
                )
            except OSError as exc:
                click.echo(
                    _("%(dir)s: cannot write the outputs: %(error)s", lang)
                    % {"dir": out_dir, "error": exc},
                    err=True,
                )
                sys.exit(ExitCode.BAD_INPUT)
            except InputError as error:  # a template the checks before the search could not see
                fail_input(error, lang)
            progress(_("wrote %(files)s", lang) % {"files": ", ".join(str(p) for p in written)})
            if result.plan is not None:
                _tell_letter_gaps(letter_problems(data, result.plan, lang), pdf, lang)
        if interrupted:
            if result.plan is None:
                click.echo(
                    _("stopped on request: no plan was found; nothing written", lang), err=True
                )
            elif out_dir is not None:
                click.echo(
                    _("stopped on request: the best plan found so far, written to %(dir)s", lang)
                    % {"dir": out_dir},
                    err=True,
                )
            else:
                click.echo(_("stopped on request: the best plan found so far", lang), err=True)

        if as_json:
            click.echo(result_to_json(result), nl=False)
        else:
            console = make_console()
            print_result(result, console, lang, data)
            if result.diagnosis is not None:
                print_diagnosis(result.diagnosis, data, console, lang)
            if result.marginal:
                print_marginal(result.marginal, console, lang)
        sys.exit(code)


#: Letter problems printed before "... and N more".
MAX_LETTER_PROBLEMS = 20


def _tell_letter_gaps(problems: list[str], pdf: bool, lang: Lang) -> None:
    """Warn (stderr) about letters that cannot be sent as written, and missing PDFs."""
    if problems:
        click.echo(
            ngettext(
                "warning: %(num)d letter gap: fill these in the scenario before sending",
                "warning: %(num)d letter gaps: fill these in the scenario before sending",
                len(problems),
                lang,
            )
            % {"num": len(problems)},
            err=True,
        )
        for problem in problems[:MAX_LETTER_PROBLEMS]:
            click.echo(f"  - {problem}", err=True)
        rest = len(problems) - MAX_LETTER_PROBLEMS
        if rest > 0:
            click.echo(gettext("... and %(num)d more", lang) % {"num": rest}, err=True)
    if pdf and pdf_renderer() is None:
        click.echo(
            gettext(
                "note: no PDF renderer (WeasyPrint or Chromium) here: the letters are HTML only",
                lang,
            ),
            err=True,
        )
