"""The order gates go to outer xdist workers: longest path first by the history's
durations, never a check before one it needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tower.checks.files import CHECK_TYPE as FILES
from pytest_tower.core.config import Pipeline, load_pipeline
from pytest_tower.history.past import PastRuns
from pytest_tower.run.xdist import dispatch_order

GATES = """
[lint.a]
tool = "files"
required = ["x"]
[unit.b]
tool = "files"
required = ["x"]
[build.c]
tool = "files"
required = ["x"]
[deploy.d]
tool = "files"
required = ["x"]
needs = ["build.c"]
[load.e]
tool = "files"
required = ["x"]
needs = ["deploy.d"]
"""


def pipeline(tmp_path: Path) -> Pipeline:
    path = tmp_path / "gates.toml"
    path.write_text(GATES)
    return load_pipeline(path, {"files": FILES})


def order(p: Pipeline, durations: dict[str, float] | None = None) -> list[str]:
    ids = [f"gates.toml::{c.id}" for c in p.checks()]
    return [ids[i].split("::", 1)[1] for i in dispatch_order(ids, p, durations)]


def test_without_history_needs_depth_then_file_order(tmp_path: Path) -> None:
    assert order(pipeline(tmp_path)) == [
        "lint::a", "unit::b", "build::c", "deploy::d", "load::e"]


def test_the_longest_path_starts_first(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    # the unit tests alone (60 s) outlast the chain build -> deploy -> load (5+5+20)
    assert order(p, {"lint::a": 1, "unit::b": 60, "build::c": 5, "deploy::d": 5,
                     "load::e": 20}) == [
        "unit::b", "build::c", "deploy::d", "load::e", "lint::a"]
    # a longer chain goes first, each link before what needs it
    assert order(p, {"lint::a": 1, "unit::b": 20, "build::c": 5, "deploy::d": 5,
                     "load::e": 30}) == [
        "build::c", "deploy::d", "load::e", "unit::b", "lint::a"]


def test_a_check_with_no_history_counts_as_the_longest_known(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    # unit::b is taken to be 5 s (the longest known), more than the 3 s chain
    assert order(p, {"lint::a": 5, "build::c": 1, "deploy::d": 1, "load::e": 1}) == [
        "lint::a", "unit::b", "build::c", "deploy::d", "load::e"]
    # the 3 s chain's head first; then 2 s each: needs depth, then file order
    assert order(p, {"lint::a": 2, "build::c": 1, "deploy::d": 1, "load::e": 1}) == [
        "build::c", "lint::a", "unit::b", "deploy::d", "load::e"]


def test_zero_durations_still_put_needs_first(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    got = order(p, {"build::c": 0, "deploy::d": 0, "load::e": 50})
    assert got.index("build::c") < got.index("deploy::d") < got.index("load::e")


def test_typical_durations_are_the_median_of_the_last_measured_runs(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    lines = []
    for n, (seconds, verdict) in enumerate([(100, "passed"), (10, "passed"), (12, "failed"),
                                            (999, "error"), (11, "passed")]):
        lines.append(json.dumps({"schema": 1, "verdict": "passed", "started": f"2026-01-0{n+1}",
                                 "duration_s": 1, "checks": [
                                     {"id": "unit::b", "stage": "unit", "check": "b",
                                      "verdict": verdict, "metrics": {}, "duration_s": seconds}]}))
    history.write_text("\n".join(lines) + "\n")
    past = PastRuns(history)
    # the error's 999 s is no evidence; of 100, 10, 12, 11 the last three count
    assert past.typical_durations(["unit::b", "lint::a"]) == {"unit::b": 11.0}
    assert [e["duration_s"] for e in past.of("unit::b")] == [100, 10, 12, 11]
    assert PastRuns(tmp_path / "none.jsonl").typical_durations(["unit::b"]) == {}


class Worker:
    """Stands in for xdist's WorkerController: records what it was sent."""

    def __init__(self, name: str, log: list[int]) -> None:
        self.name, self.sent, self.down, self.log = name, [], False, log

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent += indices
        self.log += indices  # every worker's sends, in the order they were made

    def shutdown(self) -> None:
        self.down = True


MEDIUMS = """
[unit.long]
tool = "files"
required = ["x"]
[unit.five]
tool = "files"
required = ["x"]
[unit.four]
tool = "files"
required = ["x"]
[unit.one]
tool = "files"
required = ["x"]
[deploy.after]
tool = "files"
required = ["x"]
needs = ["unit.five"]
"""


def scheduled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gates: str,
              durations: dict[str, float]) -> tuple[list[str], Worker, Worker, list[int]]:
    import xdist.workermanage

    from pytest_tower.run.xdist import TowerScheduling

    monkeypatch.setattr(xdist.workermanage, "parse_tx_spec_config", lambda config: ["popen"] * 2)
    path = tmp_path / "gates.toml"
    path.write_text(gates)
    p = load_pipeline(path, {"files": FILES})
    ids = [f"gates.toml::{c.id}" for c in p.checks()]
    sched = TowerScheduling(None, None, p, durations)  # type: ignore[arg-type]
    log: list[int] = []
    one, two = Worker("one", log), Worker("two", log)
    for w in (one, two):
        sched.add_node(w)
        sched.add_node_collection(w, ids)
    sched.schedule()
    scheduled.last = sched  # type: ignore[attr-defined]
    return [i.split("::", 1)[1] for i in ids], one, two, log


def test_the_item_behind_a_long_one_is_the_shortest(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    names, one, two, _log = scheduled(tmp_path, monkeypatch, MEDIUMS.split("[deploy.after]")[0], {
        "unit::long": 10, "unit::five": 5, "unit::four": 4, "unit::one": 1})
    # the first worker runs the 10 s check and holds the 1 s one behind it; the other
    # runs 5 s then 4 s (in file order it would be 10+4 on one worker: 14 s, not 11 s)
    assert [names[i] for i in one.sent] == ["unit::long", "unit::one"]
    assert [names[i] for i in two.sent] == ["unit::five", "unit::four"]


def test_an_item_whose_needs_were_not_sent_is_never_taken_early(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names, one, _two, log = scheduled(tmp_path, monkeypatch, MEDIUMS, {
        "unit::long": 10, "unit::five": 5, "unit::four": 4, "unit::one": 1,
        "deploy::after": 0.5})
    sent = [names[i] for i in log]
    # deploy::after (0.5 s) is the shortest: it goes behind the long check, but only
    # once unit::five, which it needs, was sent
    assert sent == ["unit::long", "unit::five", "unit::four", "deploy::after"]
    assert [names[i] for i in one.sent] == ["unit::long", "deploy::after"]


def test_without_history_the_workers_take_the_line_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names, one, two, _log = scheduled(tmp_path, monkeypatch, MEDIUMS.split("[deploy.after]")[0], {})
    assert [names[i] for i in one.sent] == ["unit::long", "unit::four"]
    assert [names[i] for i in two.sent] == ["unit::five", "unit::one"]


def test_the_shortest_is_passed_over_while_what_it_needs_waits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names, one, two, _log = scheduled(tmp_path, monkeypatch, MEDIUMS, {
        "unit::long": 10, "unit::five": 5, "unit::four": 4, "unit::one": 1,
        "deploy::after": 0.5})
    sched = scheduled.last  # type: ignore[attr-defined]
    # put unit::five back in line, unsent: deploy::after (the shortest) needs it
    five, after = names.index("unit::five"), names.index("deploy::after")
    sched.pending = [five, after]
    sched.node2pending[one] = [names.index("unit::long")]
    sched.node2pending[two] = []
    assert sched._next_for(one) == five
