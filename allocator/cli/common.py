"""What every ``genhus`` command shares: exit codes and how failures are told."""

from __future__ import annotations

import math
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

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
    "FiniteFloat",
    "fail_input",
    "fail_internal",
    "lang_option",
    "load",
    "seed_option",
    "stop_on_signals",
    "workers_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: Most CP-SAT workers ``--workers`` accepts (each is a thread with its own memory).
MAX_WORKERS = 256


def workers_option(
    default: int | None = 2,
    help: str = "CP-SAT search workers (0: one per core).",
    minimum: int = 0,
) -> Callable[[_F], _F]:
    """``--workers N``: CP-SAT search workers, at most :data:`MAX_WORKERS`."""
    return click.option(
        "--workers",
        type=click.IntRange(min=minimum, max=MAX_WORKERS),
        default=default,
        show_default=default is not None,
        metavar="N",
        help=help,
    )


def seed_option(
    default: int | None = 0,
    help: str = "Random seed of the search (same seed and workers: same run).",
) -> Callable[[_F], _F]:
    """``--seed K``: the random seed of the search (CP-SAT's range)."""
    return click.option(
        "--seed",
        type=click.IntRange(min=0, max=2**31 - 1),
        default=default,
        show_default=default is not None,
        metavar="K",
        help=help,
    )


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
    STOPPED = 5


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
  5  stopped by SIGINT (Ctrl-C) or SIGTERM: the best plan so far, checked,
     written with --out; or nothing written if there was none
"""

#: The signals that stop a run with its best plan (:func:`stop_on_signals`).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class FiniteFloat(click.FloatRange):
    """A float option in a range that also refuses NaN and infinity.

    :class:`click.FloatRange` lets ``nan`` through (every comparison with it
    is false) and ``inf`` when the range is open above.
    """

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The number, or the option's usage error if it is not finite."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


@contextmanager
def stop_on_signals(announce: str) -> Iterator[threading.Event]:
    """An event set by the first SIGINT or SIGTERM while the block runs.

    The handlers only set the event (and print ``announce`` once): the
    library sees it through its ``stop`` argument and ends its search with
    the best plan, and the command finishes checking and writing it. The
    previous handlers are restored afterwards. A signal the caller ignores
    (``nohup``, a background job of a script) stays ignored.
    """
    event = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not event.is_set():
            click.echo(f"{signal.Signals(signum).name}: {announce}", err=True)
        event.set()

    previous = {
        sig: signal.signal(sig, handler)
        for sig in STOP_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
