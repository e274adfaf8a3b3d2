"""Reading scenarios and plans with clear errors; atomic writes; YAML round trip."""

from __future__ import annotations

import gc
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from allocator.io import yaml_source
from allocator.io.dump import dump_scenario, result_to_json, scenario_to_yaml
from allocator.io.errors import InputError, format_loc, parse_path
from allocator.io.load import load_plan, load_plan_and_objective, load_scenario, load_yaml_or_json
from allocator.io.write import write_file
from models.plan import Result, SolverInfo, Status
from models.scenario import Scenario
from tests.tiny import tiny, tiny_plan, two_stage

# -- helpers ---------------------------------------------------------------------


def raw(scn: Scenario | None = None) -> dict[str, Any]:
    """Full plain data of a scenario (ISO date strings), ready to corrupt."""
    return (scn or tiny()).model_dump(mode="json")


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def problems(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value


def result(status: Status = Status.OPTIMAL, with_plan: bool = True) -> Result:
    plan = tiny_plan() if with_plan else None
    total = plan.costs[-1].total + plan.penalties if plan else None
    return Result(
        scenario="tiny",
        status=status,
        objective=total,
        bound=total,
        gap=0.0 if plan else None,
        runtime=0.5,
        plan=plan,
        warnings=[],
        solver=SolverInfo(ortools_version="9.x", seed=0, num_workers=2, time_limit=60.0),
    )


# -- good input ------------------------------------------------------------------


def test_good_yaml_and_json_load_to_the_same_scenario(tmp_path: Path) -> None:
    expected = tiny()
    from_yaml = load_scenario(write_yaml(tmp_path / "s.yaml", raw()))
    from_yml = load_scenario(write_yaml(tmp_path / "s.yml", raw()))
    from_json = load_scenario(write_json(tmp_path / "s.json", raw()))
    assert from_yaml == expected
    assert from_yml == expected
    assert from_json == expected


def test_unquoted_yaml_dates_and_string_path(tmp_path: Path) -> None:
    text = scenario_to_yaml(tiny())
    assert "planning_date: 2025-01-01" in text  # plain ISO dates, no quotes
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(str(path)) == tiny()


def test_utf8_bom_and_danish_letters(tmp_path: Path) -> None:
    data = raw()
    data["households"][0]["name"] = "Søren Ærø Åberg"
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(data, allow_unicode=True).encode())
    assert load_scenario(path).households[0].name == "Søren Ærø Åberg"


# -- several problems at once ----------------------------------------------------------


def test_bad_date_unknown_dwelling_and_duplicate_id_reported_together(tmp_path: Path) -> None:
    data = raw()
    data["households"][1]["seniority_date"] = "fish"
    data["households"][2]["dwelling"] = "NOPE"
    data["dwellings"][4]["id"] = "O1"  # O2 renamed: O1 is now used twice
    path = write_yaml(tmp_path / "x.yaml", data)

    error = problems(path)

    assert len(error.messages) == 3, error.messages
    date_msg, dupe_msg, dwelling_msg = (
        next(m for m in error.messages if key in m)
        for key in ("seniority_date", "is used 2 times", "unknown dwelling")
    )
    assert date_msg.startswith(f"{path}: households[1].seniority_date: invalid date 'fish'")
    assert dupe_msg.startswith(f"{path}: dwellings[3].id: id 'O1' is used 2 times")
    assert dwelling_msg.startswith(f"{path}: households[2].dwelling: unknown dwelling 'NOPE'")
    assert all("(line " in m for m in error.messages)
    assert error.hint is None


def test_messages_name_the_yaml_line(tmp_path: Path) -> None:
    data = raw()
    data["households"][1]["seniority_date"] = "fish"
    path = write_yaml(tmp_path / "x.yaml", data)
    line = next(
        n
        for n, text in enumerate(path.read_text().splitlines(), start=1)
        if "seniority_date: fish" in text
    )
    (message,) = problems(path).messages
    assert message.endswith(f"(line {line})")


def test_cross_reference_lines_are_split_into_messages(tmp_path: Path) -> None:
    data = raw()
    data["households"][0]["dwelling"] = "X1"
    data["households"][2]["wishes"] = ["N9"]
    error = problems(write_json(tmp_path / "x.json", data))
    assert error.messages == [
        f"{tmp_path / 'x.json'}: households[0].dwelling: unknown dwelling 'X1'",
        f"{tmp_path / 'x.json'}: households[2].wishes[0]: unknown after-renovation dwelling 'N9'",
    ]


def test_messages_of_a_left_out_item_do_not_cascade(tmp_path: Path) -> None:
    # O1 has a bad source; its id must not show up as "unknown" elsewhere.
    data = raw()
    data["dwellings"][3]["source"] = "own"
    data["households"][0]["dwelling"] = "O1"
    error = problems(write_json(tmp_path / "x.json", data))
    assert len(error.messages) == 1
    assert "dwellings[3].source: 'own' is not one of" in error.messages[0]


def test_plain_language_for_common_mistakes(tmp_path: Path) -> None:
    data = raw()
    data["policy"]["clearing_dayz"] = 30
    data["dwellings"][0]["id"] = 101
    data["dwellings"][1]["rooms"] = "many"
    data["households"][0]["wheelchair"] = "maybe"
    del data["stages"][0]["end"]
    path = write_json(tmp_path / "x.json", data)
    text = "\n".join(problems(path).messages)
    assert f"{path}: policy.clearing_dayz: unknown field (did you mean 'clearing_days'?)" in text
    assert "dwellings[0].id: expected text, got the number 101; put it in quotes" in text
    assert "dwellings[1].rooms: expected a whole number, got the text 'many'" in text
    assert "households[0].wheelchair: expected true or false" in text
    assert "stages[0].end: required field is missing" in text


def test_hint_when_references_cannot_be_checked_yet(tmp_path: Path) -> None:
    data = raw()
    data["policy"]["planning_date"] = "soon"
    data["households"][0]["dwelling"] = "X1"  # not reported: needs the planning date first
    error = problems(write_json(tmp_path / "x.json", data))
    assert [m.split(": ")[1] for m in error.messages] == ["policy.planning_date"]
    assert error.hint is not None and "references" in error.hint


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "x.yaml", [1, 2])
    assert problems(path).messages == [
        f"{path}: (top level): expected a mapping of sections (key: value), got a list"
    ]


# -- file and syntax problems ------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\npolicy:\n  planning_date: 2025-01-01\n stages: [\n")
    (message,) = problems(path).messages
    assert message.startswith(f"{path}: line 4, column 2: ")


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"name": "x",\n  "policy": {,}\n}')
    (message,) = problems(path).messages
    assert message.startswith(f"{path}: line 2, column 14: ")


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: a\npolicy:\n  planning_date: 2025-01-01\nname: b\n")
    assert problems(path).messages == [f"{path}: name: key 'name' is given twice (line 4)"]


def test_duplicate_json_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"name": "a", "name": "b"}')
    assert "key 'name' is given twice" in problems(path).messages[0]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.yaml", None, "file not found"),
        ("empty.yaml", "", "the file is empty"),
        ("blank.json", "  \n", "the file is empty"),
        ("comments.yaml", "# nothing here\n", "the file is empty"),
        ("s.txt", "name: x\n", "unknown file type '.txt'"),
        ("noext", "name: x\n", "no file extension"),
        ("latin1.yaml", b"name: \xf8\n", "not UTF-8 text"),
    ],
)
def test_file_problems(
    tmp_path: Path, name: str, content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    (message,) = problems(path).messages
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    (message,) = problems(tmp_path).messages
    assert "is a directory" in message


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    (message,) = problems(path).messages
    assert message.startswith(f"{path}: line 1")


# -- libyaml and PyYAML's own parser ----------------------------------------------


needs_libyaml = pytest.mark.skipif(yaml_source._FastLoader is None, reason="PyYAML without libyaml")


def parsed(text: str, tmp_path: Path) -> tuple[str, object]:
    """What reading ``text`` as a YAML file gives: the data, or the messages."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        data, locate = load_yaml_or_json(path)
    except InputError as exc:
        return "error", exc.messages
    assert locate is not None
    return "data", (data, [locate(loc) for loc in _locations(data)])


def _locations(data: object, loc: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [loc]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_locations(value, (*loc, str(key))))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_locations(value, (*loc, i)))
    return out


@needs_libyaml
def test_a_genhus_scenario_is_read_with_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = scenario_to_yaml(two_stage(), full=True)
    used = []
    real = yaml_source._parse_yaml_with

    def spy(loader: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(loader)
        return real(loader, *args, **kwargs)

    monkeypatch.setattr(yaml_source, "_parse_yaml_with", spy)
    fast = parsed(text, tmp_path)
    assert used == [yaml_source._FastLoader]
    monkeypatch.setattr(yaml_source, "_FastLoader", None)  # as without libyaml
    assert parsed(text, tmp_path) == fast
    assert used[-1] is yaml_source._Loader


@pytest.mark.parametrize(
    "text",
    [
        "name: x\npolicy:\n  planning_date: 2025-01-01\n stages: [\n",  # syntax error
        "name: a\nname: b\n",  # duplicate key
        "a: [1, 2?]\n",  # libyaml takes the ? as part of the scalar, PyYAML does not
        "a: {b?: c}\n",
        "a: >#\n  folded\n",  # a comment right after the header
        "a:\t1\n",  # a tab libyaml allows
        "a: [1,\n  2, {b: c}]\nd: [x:\n]\n",  # an empty scalar, marked on other lines
        "k: v\n?\n",
        "a: |\n  literal\n  text\nb: 'q''uoted'\nc: \"\\u00e6\\t\"\n",
        "a: 1\n\ufeffb: 2\n",
        "- a\n- b: 1\n  c:\n- [x, y]\n- {k: v}\n- ? complex\n  : value\n",
        "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\ne: *x\n",
        "%YAML 1.1\n---\na: 2024-13-01\nb: !!str 12\nc: 0x1F\nd: .inf\ne: ~\n",
        "a: !!python/object/apply:os.system ['echo hacked']\n",
        "a: [1, 2:, 3]\n",  # libyaml refuses what PyYAML takes
        "a: b\r\nc:\r\n  - 1\r\n",
    ],
)
def test_libyaml_reads_as_pyyaml_does(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = parsed(text, tmp_path)
    monkeypatch.setattr(yaml_source, "_FastLoader", None)
    assert got == parsed(text, tmp_path)


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_was(tmp_path: Path, enabled: bool) -> None:
    path = write_yaml(tmp_path / "s.yaml", raw())
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        load_scenario(path)
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            load_scenario(write_yaml(tmp_path / "bad.yaml", {"name": "x"}))
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()


# -- plans and results ---------------------------------------------------------------


def test_load_plan_and_result(tmp_path: Path) -> None:
    res = result()
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(res.plan.model_dump_json() if res.plan else "")
    result_path = tmp_path / "result.json"
    result_path.write_text(result_to_json(res))

    assert load_plan(plan_path) == res.plan
    assert load_plan(result_path) == res.plan
    assert load_plan_and_objective(result_path) == (res.plan, res.objective)
    assert load_plan_and_objective(plan_path) == (res.plan, None)
    assert Result.model_validate_json(result_to_json(res)) == res


def test_result_without_plan(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(result_to_json(result(Status.INFEASIBLE, with_plan=False)))
    with pytest.raises(InputError) as info:
        load_plan(path)
    assert info.value.messages == [f"{path}: plan: the result has no plan (status INFEASIBLE)"]


def test_bad_plan_names_the_field(tmp_path: Path) -> None:
    data = json.loads(result_to_json(result()))
    data["plan"]["households"][1]["mode"] = "holiday"
    path = write_json(tmp_path / "result.json", data)
    with pytest.raises(InputError) as info:
        load_plan(path)
    (message,) = info.value.messages
    assert message.startswith(f"{path}: plan.households[1].mode: 'holiday' is not one of")


# -- writing -------------------------------------------------------------------------


def test_write_file_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_file(target, "første\n")
    assert target.read_text(encoding="utf-8") == "første\n"
    write_file(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_write_file_failure_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_file(target, "new and much longer content" * 1000)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["plan.json"]  # no temporary file left behind


def test_write_file_failure_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        write_file(tmp_path / "new.json", "{}")
    assert os.listdir(tmp_path) == []


def test_write_file_without_durability_skips_the_flush_and_stays_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "H1-opsigelse.md"
    target.write_text("old")

    def no_fsync(fd: int) -> None:
        raise AssertionError("fsync called")

    monkeypatch.setattr(os, "fsync", no_fsync)
    assert write_file(target, "new", durable=False) == target
    assert target.read_text() == "new"

    def broken_replace(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        write_file(target, "newer", durable=False)
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["H1-opsigelse.md"]  # no temporary file left behind


def test_write_file_unencodable_text_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        write_file(tmp_path / "x.txt", "bad \ud800 surrogate")
    assert os.listdir(tmp_path) == []


def test_write_file_new_file_gets_normal_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_file(tmp_path / "x.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o644


# -- round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("make", [tiny, two_stage])
def test_dump_load_round_trip(tmp_path: Path, make: Any, full: bool) -> None:
    scn = make()
    path = tmp_path / "s.yaml"
    dump_scenario(scn, path, full=full)
    assert load_scenario(path) == scn
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == scn.name


def test_dump_is_compact_by_default() -> None:
    text = scenario_to_yaml(tiny())
    assert "clearing_days" not in text  # a default
    assert "clearing_days: 30" in scenario_to_yaml(tiny(), full=True)


_names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@given(
    st.lists(st.one_of(_names, st.integers(0, 999)), min_size=1).filter(
        lambda x: isinstance(x[0], str)
    )
)
def test_field_paths_round_trip(loc: list[str | int]) -> None:
    assert parse_path(format_loc(tuple(loc))) == tuple(loc)
