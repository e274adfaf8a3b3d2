"""Fuzzing the input boundary: generated bad inputs through ``genhus validate`` and ``check``.

Every case is a file: the generated S scenario as YAML, as JSON, as an input
workbook, or its greedy plan as ``plan.json``, mutated by a seeded random
operator (a flipped byte, a line dropped, a value replaced by a hostile one, a
zip part damaged ...), plus the hand-made hostile files of issue 14 (an
alias bomb, a 5,000-digit number, year 9999, a NUL, deep nesting, XML
entities, a FIFO ...). Each runs in-process through click's runner with a
time limit, and counts as

- a *traceback* if the command raised (anything but a clean exit) or
  printed "Traceback";
- a *hang* if it ran past the limit;
- a *lost file* if the input changed or vanished, or a file appeared beside it;
- *bad exit* if its exit code is not 0, 1, 2 or 3.

``python -m bench.fuzz --cases 10000`` runs a campaign and prints (and with
``--out`` writes) the counts per input kind; ``tests/test_fuzz.py`` runs a
few hundred cases of the same generator in the suite.
"""

from __future__ import annotations

import argparse
import inspect
import io
import itertools
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

from click.testing import CliRunner

from allocator import cli
from allocator.excel.template import write_template
from allocator.generate import generate
from allocator.heuristics.greedy import greedy_plan
from allocator.io.dump import scenario_to_yaml
from allocator.io.write import write_file

KINDS = ("yaml", "json", "xlsx", "plan", "hostile")
ALLOWED_EXITS = frozenset({0, 1, 2, 3})

#: Values a careless or hostile user might type where a value belongs.
HOSTILE_VALUES: tuple[str, ...] = (
    "9999-12-31",
    "0001-01-01",
    "2024-02-30",
    "1e400",
    "-1e400",
    ".nan",
    "NaN",
    "inf",
    "-1",
    "0",
    "9" * 5000,
    "-" + "9" * 40,
    "1" * 31,
    "\x1b[31mred",
    "\x00",
    "a\u202eb",
    "\ud800",
    "A" * 40_000,
    "*undefined",
    "&anchor",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!timestamp 2024-13-45",
    "[[[[[[[[",
    "{",
    "~",
    "true",
    "''",
    '"\\x1b"',
    "=cmd|' /C calc'!A0",
    "0x7fffffffffffffffffff",
    "1_000_000_000_000_000_000_000",
    "<<: *x",
    "? complex key",
    "ÆØÅ æøå",
    "H/1",
    "../../etc/passwd",
)


@dataclass
class Case:
    """One generated input: its kind, the command, and how it was made."""

    kind: str
    name: str
    command: str  # "validate" or "check"
    write: Callable[[Path], Path]  # writes the input into a directory, returns its path


@dataclass
class Outcome:
    """What a case did."""

    kind: str
    name: str
    exit_code: int | None
    seconds: float
    cpu: float = 0.0
    traceback: bool = False
    hang: bool = False
    lost: bool = False
    stderr: str = ""


@dataclass
class Tally:
    """Counts of one input kind."""

    cases: int = 0
    exits: Counter[int | None] = field(default_factory=Counter)
    tracebacks: int = 0
    hangs: int = 0
    lost: int = 0
    bad_exit: int = 0
    slowest: float = 0.0
    slowest_cpu: float = 0.0

    def add(self, other: Tally) -> None:
        """Add the counts of ``other`` (another kind, or another shard)."""
        self.cases += other.cases
        self.exits.update(other.exits)
        self.tracebacks += other.tracebacks
        self.hangs += other.hangs
        self.lost += other.lost
        self.bad_exit += other.bad_exit
        self.slowest = max(self.slowest, other.slowest)
        self.slowest_cpu = max(self.slowest_cpu, other.slowest_cpu)


# -- the seeds ------------------------------------------------------------------


@cache
def _bases() -> dict[str, bytes]:
    """The unmutated inputs: the S scenario as YAML, JSON and workbook, its plan as JSON."""
    scenario = generate("S", 0)
    out: dict[str, bytes] = {
        "yaml": scenario_to_yaml(scenario, full=True).encode(),
        "json": json.dumps(scenario.model_dump(mode="json"), indent=1).encode(),
        "plan": greedy_plan(scenario).model_dump_json(indent=1).encode(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.xlsx"
        write_template(path, scenario)
        out["xlsx"] = _fixed_time(path.read_bytes())
    return out


#: openpyxl stamps a workbook with the time it was written (in its properties
#: and its zip entries); a campaign's cases must not depend on the clock.
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fixed_time(raw: bytes) -> bytes:
    """``raw`` (an .xlsx) with its timestamps fixed, so the same seed gives the same cases."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            _put(dst, info.filename, data)
    return out.getvalue()


def _put(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Write one zip entry with a fixed time (``writestr(name, ...)`` stamps the clock)."""
    entry = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)


def _scenario_yaml() -> bytes:
    return _bases()["yaml"]


# -- mutations --------------------------------------------------------------------


def _mutate_text(rng: random.Random, text: str) -> tuple[str, str]:
    """One random change of a text document; returns the text and the operator's name."""
    lines = text.split("\n")
    op = rng.choice(
        ("value", "value", "value", "flip", "drop", "dup", "swap", "insert", "truncate", "indent")
    )
    i = rng.randrange(len(lines))
    if op == "value":  # replace what follows a key's colon, or a list item
        line = lines[i]
        head, sep, _ = line.partition(": ")
        value = rng.choice(HOSTILE_VALUES)
        if sep:
            lines[i] = f"{head}: {value}"
        else:
            lines[i] = re.sub(r"(\S.*)$", lambda _: value, line, count=1)
    elif op == "flip":
        pos = rng.randrange(max(1, len(text)))
        char = chr(rng.choice((0, 1, 9, 10, 13, 27, 34, 39, 58, 91, 123, 127, 133, 0xFEFF, 0x202E)))
        return text[:pos] + char + text[pos + 1 :], op
    elif op == "drop":
        del lines[i]
    elif op == "dup":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "insert":
        lines.insert(i, rng.choice(HOSTILE_VALUES))
    elif op == "truncate":
        return text[: rng.randrange(max(1, len(text)))], op
    else:
        lines[i] = " " * rng.choice((1, 2, 3, 8)) + lines[i]
    return "\n".join(lines), op


def _mutate_json(rng: random.Random, text: str) -> tuple[str, str]:
    """A structural change (a field set to a hostile value) or a text change."""
    if rng.random() < 0.5:
        return _mutate_text(rng, text)
    try:
        data = json.loads(text)
    except ValueError:  # an earlier mutation broke it
        return _mutate_text(rng, text)
    node: Any = data
    parent: Any = None
    key: Any = None
    for _ in range(rng.randrange(1, 5)):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
        elif isinstance(node, list) and node:
            key = rng.randrange(len(node))
        else:
            break
        parent, node = node, node[key]
    if parent is None:
        return _mutate_text(rng, text)
    value: object = rng.choice(
        (
            float("nan"),
            float("inf"),
            10**40,
            -1,
            "",
            None,
            [],
            {},
            "\u0000",
            "A" * 20_000,
            "9999-12-31",
            [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
            True,
            rng.choice(HOSTILE_VALUES),
        )
    )
    parent[key] = value
    return json.dumps(data), "field"


def _mutate_xlsx(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    """A change of one part of the workbook's zip, or of the zip itself."""
    op = rng.choice(("cell", "cell", "cell", "type", "xml", "zip", "drop", "doctype"))
    try:
        if zipfile.ZipFile(io.BytesIO(raw)).testzip() is not None:
            op = "zip"
    except Exception:  # an earlier mutation broke the zip: damage it further
        op = "zip"
    if op == "zip":
        damaged = bytearray(raw)
        for _ in range(rng.randrange(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged))]
        return bytes(damaged), op
    src = zipfile.ZipFile(io.BytesIO(raw))
    names = src.namelist()
    sheets = [n for n in names if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml"]
    target = rng.choice(sheets if op in ("cell", "type") else names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            data = src.read(name)
            if name == target:
                if op == "drop":
                    continue
                xml = data.decode("utf-8", "replace")
                data = _mutate_xml(rng, op, xml).encode("utf-8", "surrogatepass")
            _put(dst, name, data)
    return out.getvalue(), f"{op}:{target}"


def _mutate_xml(rng: random.Random, op: str, xml: str) -> str:
    if op == "cell":  # a value or a shared text
        spots = list(re.finditer(r"<(v|t)(?: [^>]*)?>([^<]*)</\1>", xml))
        if spots:
            m = rng.choice(spots)
            value = rng.choice((*HOSTILE_VALUES, "abc", "inf", "99999999", "-5", "1.5"))
            value = value.replace("&", "&amp;").replace("<", "&lt;")
            return xml[: m.start(2)] + value + xml[m.end(2) :]
    if op == "type":  # a cell's type attribute
        spots = list(re.finditer(r'<c r="[A-Z]+\d+"', xml))
        if spots:
            m = rng.choice(spots)
            kind = rng.choice(("s", "n", "b", "d", "e", "str", "inlineStr"))
            return xml[: m.end()] + f' t="{kind}"' + xml[m.end() :].replace(' t="', ' x="', 1)
    if op == "doctype":
        decl = rng.choice(
            (
                '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
                '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
                '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
            )
        )
        return re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m.group(0) or "") + decl, xml, count=1)
    # "xml": a text change of the XML
    return _mutate_text(rng, xml)[0]


# -- the hostile files of issue 14 -----------------------------------------------


def _bomb_yaml() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _replace_first(text: str, pattern: str, new: str) -> str:
    """``text`` with the first match of ``pattern`` replaced by ``new`` (group 1 kept)."""

    def repl(m: re.Match[str]) -> str:
        return (m.group(1) if m.re.groups else "") + new

    return re.sub(pattern, repl, text, count=1, flags=re.MULTILINE)


def _xlsx_with(part: str, change: Callable[[str], str]) -> bytes:
    raw = _bases()["xlsx"]
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            _put(dst, name, data)
    return out.getvalue()


def _largest_sheet() -> str:
    """The households sheet: the worksheet part with the most data."""
    archive = zipfile.ZipFile(io.BytesIO(_bases()["xlsx"]))
    sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/sheet")]
    return max(sheets, key=lambda i: i.file_size).filename


def _with_doctype(decl: str) -> Callable[[str], str]:
    def change(xml: str) -> str:
        m = re.match(r"<\?xml[^>]*\?>", xml)
        at = m.end() if m else 0
        return xml[:at] + decl + xml[at:]

    return change


_BOMB = (
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {c} "' + f"&{p};" * 10 + '">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)
_EXTERNAL = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _number_cell(value: str) -> Callable[[str], str]:
    def change(xml: str) -> str:
        return re.sub(
            r'(<c r="[A-Z]+(?:[3-9]|\d\d+)"[^>]*t="n"[^>]*>)<v>[^<]*</v>',
            rf"\1<v>{value}</v>",
            xml,
            count=1,
        )

    return change


def _missing_shared_text(xml: str) -> str:
    return re.sub(
        r'(<c r="[A-Z]+(?:[3-9]|\d\d+)"[^>]*?) t="inlineStr"><is><t>[^<]*</t></is>',
        r'\1 t="s"><v>99999</v>',
        xml,
        count=1,
    )


def _padded_rows(xml: str) -> str:
    return re.sub(
        r'(<row r="(\d+)"[^>]*>)(.*?)</row>',
        lambda m: (
            f'{m.group(1)}{m.group(3)}<c r="XFD{m.group(2)}" t="inlineStr">'
            "<is><t>x</t></is></c></row>"
        ),
        xml,
        flags=re.DOTALL,
    )


def hostile_cases() -> list[Case]:
    """The hostile files of issue 14 (and 17's size cases), each a :class:`Case`."""
    example = _scenario_yaml().decode()
    texts: dict[str, tuple[str, str]] = {
        "alias-bomb.yaml": ("yaml", _bomb_yaml()),
        "alias-cycle.yaml": ("yaml", "a: &a [*a]\n"),
        "digits-5000.yaml": (
            "yaml",
            _replace_first(example, r"clearing_days: \d+", "clearing_days: " + "9" * 5000),
        ),
        "digits-5000.json": ("json", '{"policy": {"clearing_days": ' + "9" * 5000 + "}}"),
        "year-9999.yaml": ("yaml", _replace_first(example, r"^(  end: ).*$", "'9999-12-31'")),
        "ready-past-9999.yaml": (
            "yaml",
            _replace_first(
                _replace_first(example, r"^(  end: ).*$", "'9999-12-30'"),
                r"ready_days: \d+",
                "ready_days: 400",
            ),
        ),
        "notice-before-year-1.yaml": (
            "yaml",
            _replace_first(example, r"notice_months: \d+", "notice_months: 30000"),
        ),
        "nul.yaml": ("yaml", example.replace("name: ", "name: a\x00b", 1)),
        "deep.yaml": ("yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
        "deep-block.yaml": ("yaml", "a:\n" + "".join(" " * i + "- \n" for i in range(3000))),
        "deep.json": ("json", "[" * 100_000 + "]" * 100_000),
        "control-name.yaml": (
            "yaml",
            _replace_first(example, r"^(  name: ).*$", '"Ole\\x1b[2J"'),
        ),
        "unknown-keys.yaml": (
            "yaml",
            example + "".join(f"unknown_{i}: 1\n" for i in range(20_000)),
        ),
        "long-text.yaml": (
            "yaml",
            _replace_first(example, r"^(  name: ).*$", "A" * 40_000),
        ),
        "explicit-tag.yaml": (
            "yaml",
            _replace_first(example, r"^(  clearing_days: ).*$", "!!timestamp 2024-13-45"),
        ),
        "nan.json": ("json", '{"policy": {"planning_date": "2025-01-01", "overcapacity": NaN}}'),
    }
    cases = [
        Case(
            kind,
            f"hostile:{name}",
            "validate",
            _writer(name, text.encode("utf-8", "surrogatepass")),
        )
        for name, (kind, text) in texts.items()
    ]
    sheet = _largest_sheet()
    books: dict[str, bytes] = {
        "entity-bomb.xlsx": _xlsx_with("xl/workbook.xml", _with_doctype(_BOMB)),
        "entity-bomb-sheet.xlsx": _xlsx_with(sheet, _with_doctype(_BOMB)),
        "external-entity.xlsx": _xlsx_with(sheet, _with_doctype(_EXTERNAL)),
        "malformed-sheet.xlsx": _xlsx_with(sheet, lambda xml: xml[: len(xml) // 2]),
        "number-abc.xlsx": _xlsx_with(sheet, _number_cell("abc")),
        "number-inf.xlsx": _xlsx_with(sheet, _number_cell("inf")),
        "number-1e400.xlsx": _xlsx_with(sheet, _number_cell("1e400")),
        "shared-string-missing.xlsx": _xlsx_with(sheet, _missing_shared_text),
        "padded-rows.xlsx": _xlsx_with(sheet, _padded_rows),
        "damaged-zip.xlsx": _bases()["xlsx"][: len(_bases()["xlsx"]) // 2],
        "not-a-zip.xlsx": b"PK\x03\x04 not really",
    }
    cases += [Case("xlsx", f"hostile:{n}", "validate", _writer(n, b)) for n, b in books.items()]
    cases.append(Case("hostile", "hostile:fifo.yaml", "validate", _fifo))
    cases.append(Case("hostile", "hostile:directory.yaml", "validate", _directory))
    return cases


def _writer(name: str, data: bytes) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    return write


def _fifo(directory: Path) -> Path:
    path = directory / "fifo.yaml"
    os.mkfifo(path)
    return path


def _directory(directory: Path) -> Path:
    path = directory / "directory.yaml"
    path.mkdir()
    return path


# -- generated cases ----------------------------------------------------------------


def generated_cases(count: int, seed: int = 0, shard: tuple[int, int] = (0, 1)) -> Iterator[Case]:
    """``count`` mutated inputs, in turn YAML, JSON, workbook and plan, from ``seed``.

    With ``shard=(i, n)`` only the cases whose number is ``i`` modulo ``n``
    (the same cases as in a run without shards).
    """
    rng = random.Random(seed)
    kinds = ("yaml", "json", "xlsx", "plan")
    for n in range(count):
        kind = kinds[n % len(kinds)]
        case_rng = random.Random(rng.getrandbits(64))
        if n % shard[1] == shard[0]:
            yield _generated(kind, n, case_rng)


def _generated(kind: str, n: int, rng: random.Random) -> Case:
    base = _bases()[kind]
    ops: list[str] = []
    if kind == "xlsx":
        data = base
        for _ in range(rng.choice((1, 1, 2))):
            data, op = _mutate_xlsx(rng, data)
            ops.append(op)
    else:
        text = base.decode()
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            text, op = (_mutate_json if kind in ("json", "plan") else _mutate_text)(rng, text)
            ops.append(op)
        data = text.encode("utf-8", "surrogatepass")
    suffix = {"yaml": "yaml", "json": "json", "xlsx": "xlsx", "plan": "json"}[kind]
    command = "check" if kind == "plan" else "validate"
    return Case(kind, f"{kind}#{n}:{'+'.join(ops)}", command, _writer(f"input.{suffix}", data))


# -- running ---------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the alarm inside a case that runs too long."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg, unused-ignore]
    return CliRunner()


def _snapshot(directory: Path) -> dict[str, bytes | None]:
    return {
        p.name: (p.read_bytes() if p.is_file() and not p.is_fifo() else None)
        for p in directory.iterdir()
    }


def run_case(case: Case, limit: float = 10.0) -> Outcome:
    """Run one case in-process, in a fresh directory, stopped past ``limit``.

    A case is stopped (and counted as a hang) after ``limit`` seconds of CPU
    time (``SIGPROF``: a shared machine's load does not count), or after
    six times as many seconds of wall time (``SIGALRM``: a case that waits
    rather than computes).
    """
    with tempfile.TemporaryDirectory(prefix="genhus-fuzz-") as tmp:
        directory = Path(tmp)
        path = case.write(directory)
        args = [case.command, str(path)]
        if case.command == "check":
            scenario = directory / "scenario.yaml"
            scenario.write_bytes(_scenario_yaml())
            args = ["check", str(scenario), str(path)]
        args += ["--lang", "en"]  # the messages the campaign's expectations quote
        before = _snapshot(directory)
        previous = {sig: signal.signal(sig, _alarm) for sig in (signal.SIGALRM, signal.SIGPROF)}
        signal.setitimer(signal.ITIMER_PROF, limit)
        signal.setitimer(signal.ITIMER_REAL, 6 * limit)
        start, start_cpu = time.perf_counter(), time.process_time()
        hang = False
        try:
            result = _runner().invoke(cli.main, args, catch_exceptions=True)
        except _Timeout:
            hang = True
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
        if hang or isinstance(result.exception, _Timeout):
            return Outcome(case.kind, case.name, None, seconds, cpu, hang=True)
        lost = _snapshot(directory) != before
        stderr = result.stderr if result.stderr_bytes is not None else result.output
        raised = result.exception is not None and not isinstance(result.exception, SystemExit)
        return Outcome(
            case.kind,
            case.name,
            result.exit_code,
            seconds,
            cpu,
            traceback=raised or "Traceback" in stderr or "Traceback" in result.output,
            lost=lost,
            stderr=stderr[:4000],
        )


def tally(outcomes: list[Outcome]) -> dict[str, Tally]:
    """Counts per input kind."""
    out = {kind: Tally() for kind in KINDS}
    for o in outcomes:
        t = out[o.kind]
        t.cases += 1
        t.exits[o.exit_code] += 1
        t.tracebacks += o.traceback
        t.hangs += o.hang
        t.lost += o.lost
        t.bad_exit += o.exit_code is not None and o.exit_code not in ALLOWED_EXITS
        t.slowest = max(t.slowest, o.seconds)
        t.slowest_cpu = max(t.slowest_cpu, o.cpu)
    return {k: v for k, v in out.items() if v.cases}


def table(counts: dict[str, Tally]) -> str:
    """The counts as a markdown table."""
    rows = [
        "| input | cases | exit 0 | exit 1 | exit 2 | exit 3 | other exit | tracebacks | hangs "
        "| lost files | slowest CPU (s) | slowest wall (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = Tally()
    for kind, t in counts.items():
        rows.append(_row(kind, t))
        total.add(t)
    rows.append(_row("**all**", total))
    return "\n".join(rows)


def _row(kind: str, t: Tally) -> str:
    other = t.cases - sum(t.exits[c] for c in (0, 1, 2, 3))
    return (
        f"| {kind} | {t.cases:,} | {t.exits[0]:,} | {t.exits[1]:,} | {t.exits[2]:,} "
        f"| {t.exits[3]:,} | {other:,} | {t.tracebacks} | {t.hangs} | {t.lost} "
        f"| {t.slowest_cpu:.2f} | {t.slowest:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Run a campaign; exit 1 if any case raised, hung, lost a file or exited oddly."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--cases", type=int, default=1000, help="generated cases (besides the hostile files)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--out", type=Path, help="write the table and the failures here (markdown)")
    parser.add_argument(
        "--shard", default="0/1", help="I/N: run the cases numbered I modulo N (hostile in 0/N)"
    )
    parser.add_argument("--json", type=Path, help="also write the counts as JSON (for --merge)")
    parser.add_argument("--merge", type=Path, nargs="+", help="add up the --json files of shards")
    args = parser.parse_args(argv)
    if args.merge:
        return _merge(args.merge, args.out)
    index, shards = (int(x) for x in args.shard.split("/"))
    start = time.time()
    outcomes: list[Outcome] = []
    failures: list[Outcome] = []
    hostile = hostile_cases() if index == 0 else []
    total = len(hostile) + len(range(index, args.cases, shards))
    generated = generated_cases(args.cases, args.seed, (index, shards))
    cases = itertools.chain(hostile, generated)  # made as they are run
    for i, case in enumerate(cases, 1):
        try:
            o = run_case(case, args.limit)
        except Exception as exc:  # the harness failed, not genhus: count it, go on
            o = Outcome(case.kind, case.name, None, 0.0, traceback=True, stderr=f"harness: {exc!r}")
        outcomes.append(o)
        if o.traceback or o.hang or o.lost or (o.exit_code not in ALLOWED_EXITS and not o.hang):
            failures.append(o)
            print(
                f"FAIL {o.name}: exit {o.exit_code}, {o.seconds:.1f} s\n{o.stderr}", file=sys.stderr
            )
        if i % 500 == 0:
            print(f"{i:,}/{total:,} cases, {time.time() - start:,.0f} s", file=sys.stderr)
    counts = tally(outcomes)
    head = (
        f"`python -m bench.fuzz --cases {args.cases} --seed {args.seed} --limit {args.limit:g} "
        f"--shard {args.shard}`: {total:,} cases in {time.time() - start:,.0f} s "
        f"on {os.cpu_count()} cores."
    )
    names = [f"{f.name}: exit {f.exit_code}" for f in failures]
    if args.json is not None:
        record = {"head": head, "counts": {k: _plain(v) for k, v in counts.items()}}
        write_file(args.json, json.dumps({**record, "failures": names}, indent=1))
    _report(head, counts, names, args.out)
    return 1 if failures else 0


def _plain(t: Tally) -> dict[str, Any]:
    return {**asdict(t), "exits": {str(k): n for k, n in t.exits.items()}}


def _report(head: str, counts: dict[str, Tally], failures: list[str], out: Path | None) -> None:
    body = head + "\n\n" + table(counts) + "\n"
    if failures:
        body += "\n## Failures\n\n" + "\n".join(f"- `{f}`" for f in failures) + "\n"
    print(body)
    if out is not None:
        write_file(out, body)


def _merge(paths: list[Path], out: Path | None) -> int:
    """Add up the counts of shards (``--json`` files) into one table."""
    counts: dict[str, Tally] = {}
    heads: list[str] = []
    failures: list[str] = []
    for path in paths:
        record = json.loads(path.read_text(encoding="utf-8"))
        heads.append(record["head"])
        failures += record["failures"]
        for kind, data in record["counts"].items():
            exits = Counter({None if k == "None" else int(k): n for k, n in data["exits"].items()})
            counts.setdefault(kind, Tally()).add(Tally(**{**data, "exits": exits}))
    ordered = {k: counts[k] for k in KINDS if k in counts}
    _report("\n".join(f"- {h}" for h in heads), ordered, failures, out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
