"""Fault cases: the session — selection, stale outputs, signals, the gate's own errors."""

from __future__ import annotations

import json
import shutil
import signal
import stat
from pathlib import Path

from tests.integration.faults import FaultCase

# lint passes, integration fails: a selection that drops integration would pass.
TWO = """
[lint.ruff]
paths = ["good.py"]

[integration.ruff]
paths = ["bad.py"]
"""
TWO_FILES = {"good.py": "X = 1\n", "bad.py": "import os\n"}

# release needs lint; lint fails: release alone would pass.
NEEDS = """
[lint.ruff]
paths = ["bad.py"]

[release.ruff]
paths = ["good.py"]
needs = ["lint"]
"""

# A check type that reports whatever number `value` says (nan, inf...).
NUMBER_TYPE = """
from pytest_tower import CheckType, Finding, Measurement, MetricSpec, Option

def run(ctx):
    value = float(ctx.options["value"])
    findings = [Finding("a.py", message=object())] if ctx.options["odd"] else []
    return Measurement({"x": value}, findings=findings, tool="number 1")

def pytest_tower_check_types():
    return [CheckType("number", run, [MetricSpec("x")],
                      options={"value": Option("str", required=True),
                               "odd": Option("bool", default=False)})]
"""
CRASH_TYPE = """
import os
from pytest_tower import CheckType, Measurement, MetricSpec

def run(ctx):
    os._exit(3)

def pytest_tower_check_types():
    return [CheckType("crash", run, [MetricSpec("x")])]
"""
# A stand-in for a slow tool: says it started, then hangs (until stopped).
SLOW_RUFF = "#!/bin/sh\necho $$ > ruff.pid\ntouch started\nexec sleep 300\n"
SLOW_GATES = '[lint.ruff]\npaths = ["good.py"]\nexecutable = "bin/ruff"\n'


def _ini(addopts: str) -> dict[str, str]:
    return {**TWO_FILES, "pytest.ini": f"[pytest]\naddopts = {addopts}\n"}


def _slow_ruff(project: Path) -> None:
    tool = project / "bin" / "ruff"
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(SLOW_RUFF)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


def _report_folder(project: Path) -> None:
    (project / "report.json").unlink()
    (project / "report.json").mkdir()


def _tower_is_a_file(project: Path) -> None:
    shutil.rmtree(project / ".tower", ignore_errors=True)
    (project / ".tower").write_text("not a folder\n")


def _markdown_folder(project: Path) -> None:
    (project / "summary.md").mkdir()


def _lastfailed(nodeids: list[str]) -> object:
    def plant(project: Path) -> None:
        cache = project / ".pytest_cache" / "v" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "lastfailed").write_text(json.dumps(dict.fromkeys(nodeids, True)))

    return plant


def _stepwise(nodeid: str) -> object:
    def plant(project: Path) -> None:
        cache = project / ".pytest_cache" / "v" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "stepwise").write_text(json.dumps(nodeid))

    return plant


def _history_folder(project: Path) -> None:
    (project / ".tower" / "history.jsonl").mkdir(parents=True)


CASES = [
    # -- selection from ini files does not apply to the gates ---------------------
    FaultCase(id="session-ini-k-drops-gate", gates=TWO, files=_ini('-k "not integration"'),
              expect="ini addopts -k 'not integration' ignored for the gates"),
    FaultCase(id="session-ini-m-drops-gates", gates=TWO, files=_ini("-m smoke"),
              expect="ini addopts -m smoke ignored for the gates"),
    FaultCase(id="session-ini-deselect", gates=TWO,
              files=_ini("--deselect gates.toml::integration::ruff"),
              expect="ini addopts --deselect gates.toml::integration::ruff ignored"),
    FaultCase(id="session-ini-ignore-gates-file", gates=TWO, files=_ini("--ignore=gates.toml"),
              expect="ini addopts --ignore gates.toml ignored for the gates"),
    FaultCase(id="session-ini-collect-only", gates=TWO, files=_ini("--collect-only"),
              expect="ini addopts --collect-only True ignored for the gates"),
    FaultCase(id="session-ini-lf", gates=TWO, files=_ini("--lf"),
              setup=_lastfailed(["gates.toml::lint::ruff"]),
              expect="ini addopts --lf True ignored for the gates"),
    FaultCase(id="session-ini-stepwise-skips-failing", gates=TWO, files=_ini("--sw"),
              setup=_stepwise("gates.toml::lint::ruff"),
              expect="ini addopts --sw True ignored for the gates"),
    FaultCase(id="session-ini-testpaths-args", gates=TWO, files=_ini("tests -k lint"),
              expect="ini addopts -k lint ignored for the gates"),
    # -- a gate dropped by something other than the command line fails the run -----
    FaultCase(id="session-conftest-drops-gate", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "def pytest_collection_modifyitems(items):\n"
                  "    items[:] = [i for i in items if 'integration' not in i.nodeid]\n")},
              expect="integration::ruff was not run, and nothing on the command line "
                     "deselected it"),
    FaultCase(id="session-conftest-deselects-gate", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "def pytest_collection_modifyitems(config, items):\n"
                  "    drop = [i for i in items if 'integration' in i.nodeid]\n"
                  "    config.hook.pytest_deselected(items=drop)\n"
                  "    items[:] = [i for i in items if i not in drop]\n")},
              expect="nothing on the command line deselected it"),
    FaultCase(id="session-conftest-skips-gate", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "import pytest\n"
                  "def pytest_runtest_setup(item):\n"
                  "    if 'integration' in item.nodeid:\n"
                  "        pytest.skip('not today')\n")},
              expect="integration::ruff  skipped"),
    FaultCase(id="session-conftest-xfails-gate", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "import pytest\n"
                  "def pytest_collection_modifyitems(items):\n"
                  "    for item in items:\n"
                  "        item.add_marker(pytest.mark.xfail(reason='known'))\n")},
              expect="integration::ruff  failed"),
    FaultCase(id="session-conftest-drops-all-gates", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "def pytest_collection_modifyitems(items):\n    items.clear()\n")},
              expect="nothing on the command line deselected it"),
    FaultCase(id="session-conftest-ignores-gates-file", gates=TWO,
              files={**TWO_FILES, "conftest.py": (
                  "def pytest_ignore_collect(collection_path):\n"
                  "    return collection_path.name == 'gates.toml' or None\n")},
              expect="TOWER GATE FAILED"),
    FaultCase(id="session-k-matches-nothing", gates=TWO, files=TWO_FILES,
              args=("-k", "no_such_gate"), expect="no checks ran"),
    FaultCase(id="session-config-elsewhere", gates=TWO, files={
        **TWO_FILES, "ci/quality.toml": '[lint.ruff]\npaths = ["../bad.py"]\n'},
        args=("--tower-config", "ci/quality.toml"), expect="F401"),
    # -- partial runs ---------------------------------------------------------------
    FaultCase(id="session-require-complete-option", gates=TWO, files=TWO_FILES,
              args=("-k", "lint", "--tower-require-complete"),
              expect="partial run, and require_complete is set"),
    FaultCase(id="session-require-complete-setting",
              gates="[tower]\nrequire_complete = true\n" + TWO, files=TWO_FILES,
              args=("-k", "lint"), expect="(partial: 1 of 2 checks selected)"),
    FaultCase(id="session-pytest-addopts-partial",
              gates="[tower]\nrequire_complete = true\n" + TWO, files=TWO_FILES,
              env={"PYTEST_ADDOPTS": "-k lint"}, subprocess=True,
              expect="PYTEST_ADDOPTS selects gates: -k lint"),
    FaultCase(id="session-collect-only", gates=TWO, files=TWO_FILES, args=("--co",),
              expect="TOWER GATE NOT RUN: --collect-only"),
    # -- --lf re-runs what did not pass, and what it needs ----------------------------
    FaultCase(id="session-lf-pulls-needs", gates=NEEDS, files=TWO_FILES, args=("--lf",),
              setup=_lastfailed(["gates.toml::release::ruff"]),
              expect="blocked: needs 'lint', and lint::ruff failed"),
    # -- stale outputs and unusable targets -------------------------------------------
    FaultCase(id="session-broken-conftest-import", gates=TWO, files={
        **TWO_FILES, "conftest.py": "import no_such_module_for_tower\n"},
        expect="ImportError while loading conftest"),
    FaultCase(id="session-broken-conftest-syntax", gates=TWO, files={
        **TWO_FILES, "conftest.py": "def broken(:\n"}, expect="while loading conftest"),
    FaultCase(id="session-report-is-a-folder", gates=TWO, files=TWO_FILES,
              setup=_report_folder, rc=4, expect="is a folder; give a file path"),
    FaultCase(id="session-tower-dir-is-a-file", gates=TWO, files=TWO_FILES,
              setup=_tower_is_a_file, rc=4, expect="cannot write the state folder"),
    FaultCase(id="session-markdown-is-a-folder", gates=TWO, files=TWO_FILES,
              setup=_markdown_folder, args=("--tower-markdown=summary.md",), rc=4,
              expect="--tower-markdown"),
    FaultCase(id="session-two-outputs-one-file", gates=TWO, files=TWO_FILES,
              args=("--tower-markdown=report.json",), rc=4,
              expect="--tower-report and --tower-markdown both write"),
    FaultCase(id="session-fixtures-per-test", gates=TWO, files=TWO_FILES,
              args=("--fixtures-per-test",), rc=4, expect="runs no gate"),
    FaultCase(id="session-markers", gates=TWO, files=TWO_FILES, args=("--markers",), rc=4,
              expect="--markers lists pytest's own information"),
    FaultCase(id="session-dir-argument", gates=TWO, files=TWO_FILES, args=("good.py",),
              rc=4, expect="collects the gates in"),
    FaultCase(id="session-history-not-writable", gates=TWO.split("[integration")[0],
              files=TWO_FILES, setup=_history_folder, expect="history"),
    # -- numbers that are not numbers, and the gate's own errors ----------------------
    FaultCase(id="session-nan-metric", gates='[a.number]\nvalue = "nan"\n'
              'conditions = ["x != 1"]\n', files={"conftest.py": NUMBER_TYPE},
              expect="non-finite value for x (nan)"),
    FaultCase(id="session-inf-metric", gates='[a.number]\nvalue = "inf"\n'
              'conditions = ["x > 0"]\n', files={"conftest.py": NUMBER_TYPE},
              expect="non-finite value for x (inf)"),
    FaultCase(id="session-report-cannot-serialise", gates='[a.number]\nvalue = "1"\n'
              'odd = true\nconditions = ["x == 1"]\n', files={"conftest.py": NUMBER_TYPE},
              expect="cannot be written as JSON"),
    FaultCase(id="session-report-builder-crashes", gates=TWO.split("[integration")[0],
              files={**TWO_FILES, "conftest.py": (
                  "import pytest_tower.report.json_report as r\n"
                  "def boom(tower):\n    raise RuntimeError('disk on fire')\n"
                  "r.build_report = boom\n")}, subprocess=True,
              expect="TOWER GATE ERROR: the gate's own code failed (report: RuntimeError"),
    FaultCase(id="session-xdist-worker-crash", gates="[a.crash]\nconditions = ['x == 0']\n",
              files={"conftest.py": CRASH_TYPE}, args=("-n", "2"), subprocess=True,
              expect="could not measure"),
    # -- signals: interrupted, children stopped, exit 2 --------------------------------
    FaultCase(id="session-sigterm", gates=SLOW_GATES,
              files=TWO_FILES, setup=_slow_ruff,
              signal_when=(signal.SIGTERM, "started"), rc=2,
              expect="TOWER GATE INTERRUPTED: the run was stopped (SIGTERM)"),
    FaultCase(id="session-sigint", gates=SLOW_GATES,
              files=TWO_FILES, setup=_slow_ruff,
              signal_when=(signal.SIGINT, "started"), rc=2,
              expect="TOWER GATE INTERRUPTED: the run was stopped (SIGINT)"),
    FaultCase(id="session-sigterm-xdist", gates=SLOW_GATES,
              files=TWO_FILES, setup=_slow_ruff, args=("-n", "2"),
              signal_when=(signal.SIGTERM, "started"), rc=2,
              expect="TOWER GATE INTERRUPTED: the run was stopped (SIGTERM)"),
    FaultCase(id="session-collector-crashes", gates=TWO, files={
        **TWO_FILES, "conftest.py": (
            "def pytest_collect_file(file_path, parent):\n"
            "    if file_path.name == 'gates.toml':\n"
            "        raise RuntimeError('bad collector')\n")},
        expect="RuntimeError: bad collector"),
    FaultCase(id="session-sighup", gates=SLOW_GATES,
              files=TWO_FILES, setup=_slow_ruff,
              signal_when=(signal.SIGHUP, "started"), rc=2,
              expect="TOWER GATE INTERRUPTED: the run was stopped (SIGHUP)"),
]
