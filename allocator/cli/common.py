"""What every ``genhus`` command shares: exit codes and how failures are told."""

from __future__ import annotations

import sys
import traceback
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

import click

from allocator.i18n import DEFAULT_LANG, LANGS, Lang, gettext, ngettext
from allocator.io.errors import InputError
from allocator.io.load import load_scenario
from models.plan import Status
from models.scenario import Scenario

__all__ = [
    "EXIT_CODES_HELP",
    "STATUS_EXIT",
    "ExitCode",
    "fail_input",
    "fail_internal",
    "lang_option",
    "load",
]

#: ``--lang da|en``: the language of the command's messages and outputs.
lang_option = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=DEFAULT_LANG,
    show_default=True,
    help="Language of the outputs and messages: da (Danish) or en (English).",
)

#: Most input problems printed before "... and N more".
MAX_MESSAGES = 100


class ExitCode(IntEnum):
    """Process exit codes of ``genhus``."""

    OK = 0
    INFEASIBLE = 1
    BAD_INPUT = 2
    NO_SOLUTION = 3
    INTERNAL = 4


STATUS_EXIT = {
    Status.OPTIMAL: ExitCode.OK,
    Status.FEASIBLE: ExitCode.OK,
    Status.INFEASIBLE: ExitCode.INFEASIBLE,
    Status.NO_SOLUTION_IN_TIME: ExitCode.NO_SOLUTION,
    Status.MODEL_INVALID: ExitCode.INTERNAL,
}

EXIT_CODES_HELP = """\b
Exit codes:
  0  plan found / scenario valid / plan has no violations
  1  scenario infeasible / plan has violations
  2  bad input (file, option, output directory); no traceback
  3  no plan within the time limit
  4  internal error (model invalid, plan failed the checker)
"""


def fail_input(error: InputError, lang: Lang = DEFAULT_LANG) -> NoReturn:
    """Print input problems to stderr (no traceback) and exit 2."""
    messages = error.messages
    for message in messages[:MAX_MESSAGES]:
        click.echo(message, err=True)
    rest = len(messages) - MAX_MESSAGES
    if rest > 0:
        click.echo(gettext("... and %(num)d more", lang) % {"num": rest}, err=True)
    if error.hint:
        click.echo(gettext("note: %(hint)s", lang) % {"hint": error.hint}, err=True)
    n = len(messages)
    text = ngettext("%(num)d problem in the input", "%(num)d problems in the input", n, lang)
    click.echo(text % {"num": n}, err=True)
    sys.exit(ExitCode.BAD_INPUT)


def fail_internal(what: str, lang: Lang = DEFAULT_LANG) -> NoReturn:
    """Print an internal error with its traceback to stderr and exit 4.

    ``what`` is an English catalogue message, translated into ``lang``.
    """
    click.echo(traceback.format_exc(), err=True)
    click.echo(gettext("internal error: %(what)s", lang) % {"what": gettext(what, lang)}, err=True)
    sys.exit(ExitCode.INTERNAL)


def load(path: Path, lang: Lang = DEFAULT_LANG) -> Scenario:
    """The scenario at ``path``, or its problems printed and exit 2."""
    try:
        return load_scenario(path, lang=lang)
    except InputError as error:
        fail_input(error, lang)
