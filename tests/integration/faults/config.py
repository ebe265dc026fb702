"""Fault cases: gates.toml numbers and names, the baseline and the history.

Every number read from gates.toml must be a finite, sane one; every name must
become a file name; the baseline and history are read defensively. A stub
check type (the project's conftest) reports chosen measurements, so a
non-finite or unkeyed measurement can be injected without a real tool.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.faults import FaultCase

CLEAN = {"a.py": "X = 1\n"}
DIRTY = {"a.py": "import os\n"}
RUFF = '[lint.ruff]\npaths = ["a.py"]\nselect = ["F"]\n'
RATCHET = RUFF + 'conditions = ["violations <= baseline"]\n'

STUB = '''\
import json

from pytest_tower import CheckType, Measurement, MetricSpec


def measure(ctx):
    data = json.loads((ctx.root / "measured.json").read_text())
    return Measurement({k: float(v) for k, v in data.items()}, tool="stub 1.0")


def pytest_tower_check_types():
    return [CheckType("stub", measure, [MetricSpec("p95", "ms", keyed=True),
                                         MetricSpec("rps")],
                      default_conditions=["rps >= 1"])]
'''


def _stub(measured: str) -> dict[str, str]:
    return {"conftest.py": STUB, "measured.json": measured}


def _mkdir(*parts: str):  # type: ignore[no-untyped-def]
    def setup(project: Path) -> None:
        project.joinpath(*parts).mkdir(parents=True)

    return setup


def _baseline(checks: str):  # type: ignore[no-untyped-def]
    """Plant .tower/baseline.json with `checks` as its (raw JSON) checks table."""
    def setup(project: Path) -> None:
        (project / ".tower").mkdir(exist_ok=True)
        (project / ".tower" / "baseline.json").write_text(
            '{"schema": 1, "commit": null, "checks": ' + checks + "}\n")

    return setup


def _history(*lines: str):  # type: ignore[no-untyped-def]
    def setup(project: Path) -> None:
        (project / ".tower").mkdir(exist_ok=True)
        (project / ".tower" / "history.jsonl").write_text("".join(f"{x}\n" for x in lines))

    return setup


def _passing_run(violations: str) -> str:
    return ('{"verdict": "passed", "branch": "main", "started": "2026-01-01", '
            '"checks": [{"stage": "lint", "check": "ruff", "verdict": "passed", '
            f'"metrics": {{"violations": {violations}}}}}]}}')


def _number_case(id: str, line: str, expect: str, where: str = RUFF) -> FaultCase:
    return FaultCase(id=id, gates=where + line + "\n", files=CLEAN, expect=expect, rc=4)


ENV = ('[build.package]\n\n[environments.staging]\ncommand = "python -m http.server {port}"\n'
       '{line}\n\n[smoke.files]\nrequired = ["a.py"]\nenvironment = "staging"\n')

CASES = [
    # -- numbers in gates.toml ------------------------------------------------
    _number_case("config-timeout-nan", "timeout = nan", "timeout: wrong type or value"),
    _number_case("config-timeout-inf", "timeout = inf", "inf is not a finite number"),
    _number_case("config-timeout-1e999-string", 'timeout = "1e999s"',
                 "'1e999s' is not a finite number"),
    _number_case("config-timeout-negative", "timeout = -5",
                 "a duration must be greater than zero"),
    _number_case("config-timeout-absurd", "timeout = 1e300",
                 "more than the longest duration accepted"),
    _number_case("config-timeout-huge-integer", "timeout = 9" + "9" * 400,
                 "too large for a duration"),
    FaultCase(id="config-tower-timeout-minus-inf", gates="[tower]\ntimeout = -inf\n" + RUFF,
              files=CLEAN, expect="[tower] timeout: wrong type or value", rc=4),
    _number_case("config-condition-1e999", 'conditions = ["violations <= 1e999"]',
                 "'1e999' is not a finite number"),
    _number_case("config-condition-nan", 'conditions = ["violations <= nan"]',
                 "'nan' is not a number"),
    _number_case("config-baseline-factor-1e999",
                 'conditions = ["violations <= baseline * 1e999"]',
                 "'1e999' is not a finite number"),
    _number_case("config-baseline-factor-nan", 'conditions = ["violations <= baseline * nan"]',
                 "'nan' is not a number"),
    _number_case("config-baseline-factor-zero", 'conditions = ["violations <= baseline * 0"]',
                 "a factor is a number greater than 0"),
    FaultCase(id="config-coverage-nan-percent",
              gates='[tests.tests]\npaths = ["tests"]\nconditions = ["coverage >= nan%"]\n',
              expect="'nan%' is not a number", rc=4),
    _number_case("config-int-negative", "jobs = -1", "a whole number from 0 to 1,000,000",
                 '[sec.bandit]\npaths = ["a.py"]\n'),
    _number_case("config-int-huge", "jobs = 99999999999999999999999999",
                 "a whole number from 0 to 1,000,000", '[sec.bandit]\npaths = ["a.py"]\n'),
    FaultCase(id="config-env-health-timeout-nan", gates=ENV.replace("{line}",
              "health_timeout = nan"), files=CLEAN, rc=4,
              expect="[environments.staging] health_timeout: wrong type or value"),
    FaultCase(id="config-env-keep-releases-huge", gates=ENV.replace("{line}",
              "keep_releases = 123456789012345678901234567890"), files=CLEAN, rc=4,
              expect="keep_releases: wrong type or value"),
    FaultCase(id="config-env-lock-timeout-1e999", gates=ENV.replace("{line}",
              'lock_timeout = "1e999s"'), files=CLEAN, rc=4,
              expect="'1e999s' is not a finite number"),
    # -- conditions that could pass on nothing ----------------------------------
    _number_case("config-conditions-empty", "conditions = []", "no conditions (an empty list)"),
    _number_case("config-warn-only", 'conditions = []\nwarn = ["violations == 0"]',
                 "no conditions (an empty list)"),
    # -- names that cannot become file names ----------------------------------
    FaultCase(id="config-name-5000-characters",
              gates=f'[lint.{"r" * 5000}]\ntool = "ruff"\npaths = ["a.py"]\n', files=CLEAN,
              expect="too long a name", rc=4),
    FaultCase(id="config-stage-name-5000-characters",
              gates=f'[{"s" * 5000}.ruff]\npaths = ["a.py"]\n', files=CLEAN,
              expect="too long a name", rc=4),
    FaultCase(id="config-name-not-portable",
              gates='[lint."rüff"]\ntool = "ruff"\npaths = ["a.py"]\n', files=CLEAN,
              expect="'rüff' is not a usable name", rc=4),
    FaultCase(id="config-name-device", gates='[nul.ruff]\npaths = ["a.py"]\n', files=CLEAN,
              expect="'nul' is not a portable file name", rc=4),
    FaultCase(id="config-names-collide-on-disk",
              gates='[a."b.c"]\ntool = "ruff"\npaths = ["a.py"]\n\n'
                    '["a.b".c]\ntool = "ruff"\npaths = ["a.py"]\n',
              files=CLEAN, expect="have the same name on disk, 'a.b.c'", rc=4),
    FaultCase(id="config-names-collide-by-case",
              gates='[lint.ruff]\npaths = ["a.py"]\n\n[Lint.ruff]\npaths = ["a.py"]\n',
              files=CLEAN, expect="have the same name on disk", rc=4),
    FaultCase(id="config-environment-name-escapes",
              gates=ENV.replace("[environments.staging]", '[environments."../../x"]')
              .replace('"staging"', '"../../x"').replace("{line}", ""),
              files=CLEAN, expect="'../../x' is not a usable name", rc=4),
    FaultCase(id="config-option-key-5000-characters",
              gates=RUFF + f'{"k" * 5000} = 1\n', files=CLEAN,
              expect="… (5000 characters): unknown option", rc=4),
    _number_case("config-nul-in-a-path", 'paths = ["a.py\\u0000"]\n'.replace("\n", ""),
                 "a string without NUL characters",
                 '[lint.ruff]\nselect = ["F"]\n'),
    FaultCase(id="config-stage-named-like-a-check",
              gates='[a.b]\ntool = "ruff"\npaths = ["a.py"]\n\n'
                    '["a.b".c]\ntool = "ruff"\npaths = ["a.py"]\n',
              files=CLEAN, expect="needs = ['a.b'] would mean both", rc=4),
    FaultCase(id="config-check-collides-with-an-environment",
              gates=ENV.replace("{line}", 'conditions = ["app_errors == 0"]')
              + '\n[Environments.staging]\ntool = "ruff"\npaths = ["a.py"]\n',
              files=CLEAN, expect="the same name on disk, 'environments.staging'", rc=4),
    # -- baseline and history paths ---------------------------------------------
    FaultCase(id="config-baseline-is-a-folder", gates='[tower]\nbaseline = "accepted"\n' + RATCHET,
              files=CLEAN, setup=_mkdir("accepted"), expect="'accepted' is a folder", rc=4),
    FaultCase(id="config-history-is-a-folder", gates='[tower]\nhistory = "runs/"\n' + RUFF,
              files=CLEAN, expect="[tower] history: 'runs/' is a folder", rc=4),
    FaultCase(id="config-default-history-is-a-folder", gates=RUFF, files=CLEAN,
              setup=_mkdir(".tower", "history.jsonl"),
              expect="history: '.tower/history.jsonl' is a folder", rc=4),
    FaultCase(id="config-report-is-a-folder", gates='[tower]\nreport = "out"\n' + RUFF,
              files=CLEAN, setup=_mkdir("out"), expect="[tower] report: 'out' is a folder",
              rc=4),
    FaultCase(id="config-history-under-a-file", gates='[tower]\nhistory = "a.py/h.jsonl"\n' + RUFF,
              files=CLEAN, expect="a.py is a file, not a folder", rc=4),
    FaultCase(id="config-history-empty-path", gates='[tower]\nhistory = ""\n' + RUFF,
              files=CLEAN, expect="'' is not a usable path", rc=4),
    # -- the baseline's content ---------------------------------------------------
    FaultCase(id="config-baseline-garbled", gates=RATCHET, files=CLEAN,
              setup=_baseline('{"lint::ruff": {"violations": 0}'),  # no closing brace
              expect="baseline.json cannot be used"),
    FaultCase(id="config-baseline-infinity", gates=RATCHET, files=DIRTY,
              setup=_baseline('{"lint::ruff": {"violations": Infinity}}'),
              expect="is inf, not a finite number"),
    FaultCase(id="config-baseline-nan", gates=RATCHET, files=CLEAN,
              setup=_baseline('{"lint::ruff": {"violations": NaN}}'),
              expect="is nan, not a finite number"),
    FaultCase(id="config-baseline-overflowing-factor",
              gates=RUFF + 'conditions = ["violations <= baseline * 10"]\n', files=DIRTY,
              setup=_baseline('{"lint::ruff": {"violations": 1e308}}'),
              expect="gives the threshold inf, not a finite number"),
    FaultCase(id="config-baseline-not-a-table", gates=RATCHET, files=CLEAN,
              setup=_baseline('{"lint::ruff": [1, 2]}'),
              expect="is not a table of metrics"),
    # -- the history as a baseline ------------------------------------------------
    FaultCase(id="config-history-baseline-infinity", gates=RATCHET, files=DIRTY,
              setup=_history("{garbled", "[1, 2]", _passing_run("Infinity")),
              expect="(3 unreadable lines of history skipped)"),
    FaultCase(id="config-history-baseline-truncated", gates=RATCHET, files=DIRTY,
              setup=_history(_passing_run("5")[:-20]),
              expect="1 unreadable line of history skipped"),
    # -- measurements that cannot be compared ---------------------------------
    FaultCase(id="config-measured-infinity", gates='[perf.stub]\nconditions = ["rps >= 10"]\n',
              files=_stub('{"rps": Infinity}'), expect="reported a non-finite value for rps"),
    FaultCase(id="config-measured-nan", gates='[perf.stub]\nconditions = ["rps != 5"]\n',
              files=_stub('{"rps": NaN}'), expect="reported a non-finite value for rps (nan)"),
    FaultCase(id="config-key-did-you-mean",
              gates='[perf.stub]\nconditions = ["rps >= 1", "p95[/json] <= 100ms"]\n',
              files=_stub(json.dumps({"rps": 5, "p95[GET /json]": 10, "p95[POST /x]": 12})),
              expect="it produced p95[GET /json], p95[POST /x]. Did you mean p95[GET /json]?"),
]
