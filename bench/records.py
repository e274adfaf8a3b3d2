"""What the benchmark records, and the results file that keeps it.

The measurements are stored as JSON inside ``bench/RESULTS.md`` (between
:data:`DATA_START` and :data:`DATA_END`) and read back by every later run,
so they are typed as :class:`~typing.TypedDict`: the dicts are the JSON,
key for key, and files written by older versions of the benchmark (with
fewer keys) still load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple, NotRequired, TypedDict

DATA_START = "<!-- bench-data"
DATA_END = "bench-data -->"

#: Measurement name -> (what runs, relative gap limit).
MEASUREMENTS: dict[str, tuple[str, float | None]] = {
    "greedy": ("greedy", None),
    "genhus-opt": ("genhus", 0.0),
    "highs-opt": ("highs", 0.0),
    "genhus-1pct": ("genhus", 0.01),
    "highs-1pct": ("highs", 0.01),
    # the model without its valid inequalities (RehousingModel(cuts=False)):
    # HiGHS proves some models faster without them; the ratio takes the faster
    "highs-opt-plain": ("highs-plain", 0.0),
}

#: The measurement of the one-worker sweep (``--one-worker``): genhus with one
#: worker and its default gap limit.
ONE_WORKER = "one-worker"


class CaseSpec(TypedDict):
    """A generated case given by its :class:`allocator.generate.SizeSpec` fields."""

    households: int
    stages: int
    org_stock: int
    merges: int


class Spec(TypedDict):
    """One measurement to run (``kind`` and ``gap`` from :data:`MEASUREMENTS`)."""

    kind: str
    size: str
    seed: int
    time_limit: float
    workers: int
    gap: float | None
    case: NotRequired[CaseSpec]  # a generated case instead of the preset ``size``


class ChildSpec(Spec):
    """A :class:`Spec` passed to the child process, with the file for its result."""

    out: str


class Run(TypedDict, total=False):
    """One measurement's result: what the child measured, then what the parent adds.

    Money in DKK, times in seconds. A key is missing where the measurement
    has no such figure (e.g. no bound for the greedy planner, nothing but
    ``error`` for a run that crashed).
    """

    # the scenario (child)
    generate_seconds: float
    households: int
    candidates: int
    stages: int
    refused: str  # why the generator refused the case (then nothing else was run)
    # the planner's answer (child)
    available: bool  # greedy only: False if the module could not be imported
    status: str
    reason: str  # why the greedy planner gave no plan
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    build_seconds: float
    highs_run_seconds: float
    variables: int
    constraints: int
    warnings: list[str]
    trajectory: list[list[float]]  # genhus's progress: [elapsed, objective, bound]
    plan_digest: str  # sha256 of the plan's JSON (genhus): the same plan, the same digest
    call_seconds: float  # the whole ``solve`` call (one-worker sweep)
    # the plan checker's verdict (child)
    checked: bool
    violations: list[str]
    check_seconds: float
    priced_cost: float | None
    extract_error: str
    error: str
    # the process (parent)
    wall_seconds: float
    peak_mb: float
    timeout: bool
    exit_code: int
    # which measurement (parent)
    measurement: str
    kind: str
    gap_limit: float | None
    repeat: int
    # which case of the one-worker sweep (parent)
    case: str
    size_spec: CaseSpec
    seed: int
    reached: bool  # proved the default gap within the time limit with a valid plan


class Settings(TypedDict):
    """The options of one benchmark run."""

    repeats: int
    time_limit: float
    workers: int
    seed: int
    grace: float
    measurements: list[str]


class Machine(TypedDict):
    """The machine a benchmark run ran on."""

    cpu: str
    cores: int | None
    usable_cores: int | None
    ram_gb: float | None
    os: str
    load_before: list[float]


class Versions(TypedDict):
    """The code measured: versions, commit and a hash of the genhus sources."""

    sources: NotRequired[str]
    python: str
    ortools: str | None
    highspy: NotRequired[str | None]
    genhus: str | None
    commit: str | None


class Invocation(TypedDict):
    """One ``python -m bench.run`` command and where it ran."""

    id: int
    command: str
    date: str
    seconds: float
    sizes: list[str]
    settings: Settings
    machine: Machine
    load_after: NotRequired[list[float]]
    versions: Versions
    versions_after: NotRequired[Versions]
    note: NotRequired[str]


class SizeEntry(TypedDict):
    """The runs of one size, from the invocation that measured it last."""

    invocation: int
    runs: list[Run]


class SweepEntry(TypedDict):
    """The cases of the one-worker sweep, from the invocation that measured it last."""

    invocation: int
    cases: list[Run]


class BenchData(TypedDict):
    """Everything stored in the results file."""

    invocations: list[Invocation]
    sizes: dict[str, SizeEntry]
    one_worker: NotRequired[SweepEntry]


class Target(NamedTuple):
    """One target (of issue 3 or 16) as judged from the measurements."""

    target: str
    verdict: str
    figures: str


def empty() -> BenchData:
    """No measurements."""
    return {"invocations": [], "sizes": {}}


def load(path: Path) -> BenchData:
    """The measurements stored in the results file ``path`` (none if it has none)."""
    if not path.exists():
        return empty()
    text = path.read_text(encoding="utf-8")
    start, end = text.find(DATA_START), text.rfind(DATA_END)
    if start < 0 or end < start:
        return empty()
    data: BenchData = json.loads(text[start + len(DATA_START) : end])
    return data


def write_results(path: Path, text: str) -> None:
    """Replace the results file ``path`` by ``text`` atomically, creating its directory."""
    from allocator.io.write import write_file  # late, like every import of genhus in the bench

    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, text)
