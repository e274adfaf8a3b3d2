"""The ``genhus`` command line: solve, validate, check, schema.

Results and summaries go to stdout, progress and errors to stderr. Problems
with an input file are printed one per line (``FILE: FIELD_PATH: what is
wrong``) without a traceback.

Exit codes (the same for every command):

0  a plan was found (``solve``), the scenario is valid (``validate``), the
   plan has no violations (``check``)
1  the scenario is infeasible (``solve``) or the plan has violations (``check``)
2  bad input: unreadable or invalid file, bad option, unwritable output
3  no plan within the time limit (``solve``)
4  internal error: the model was invalid or the plan failed the checker
"""

from __future__ import annotations

import click

from allocator.cli.common import EXIT_CODES_HELP, ExitCode
from allocator.cli.compare import compare_command
from allocator.cli.explain import analyse_command, explain_command
from allocator.cli.inspect import check_command, schema_command, validate_command
from allocator.cli.replan import replan_command, stress_command
from allocator.cli.solve import solve_command
from allocator.cli.study import study_command
from allocator.cli.tools import generate_command, template_command

__all__ = ["ExitCode", "main"]


@click.group(
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="genhus", prog_name="genhus")
def main() -> None:
    """Plan rehousing (genhusning) for renovations of Danish social housing.

    A scenario file (YAML, JSON or Excel) describes the stages, dwellings,
    households, after-renovation dwellings and pavilion options; `genhus
    solve` finds the cheapest plan that keeps the rules R1 to R16 (see
    docs/MODEL.md).
    """


# One module per command (or family of commands); each is registered here.
for _command in (
    solve_command,
    validate_command,
    check_command,
    schema_command,
    template_command,
    generate_command,
    compare_command,
    study_command,
    analyse_command,
    explain_command,
    replan_command,
    stress_command,
):
    main.add_command(_command)
