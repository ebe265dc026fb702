"""The JSON report (schema 1) as types: what `report/json_report.py` writes.

Every output (terminal aside) is rendered from this report, never from the
session, so its shape is the contract between the run and the renderers, and
with the users who read `tower-report.json`. Imports nothing of ours: any
layer may name these types (core/ only under TYPE_CHECKING).

A number that is not finite (NaN, infinity) is written as null; the run is
then an error and says so in `notes`, so the number types below hold for
every report of a run that passed.

No `from __future__ import annotations` here: TypedDict reads NotRequired and
Required from evaluated annotations (tests check real reports against
`__required_keys__`).
"""

from typing import NotRequired, Required, TypedDict


class ConditionDict(TypedDict):
    """One judged condition; `passed` is None when it could not be judged."""

    expr: str
    metric: str
    op: str
    threshold: float | None
    unit: str
    actual: float | None
    passed: bool | None
    level: str  # "fail" (gates) or "warn"
    baseline: NotRequired[float | None]  # only for a condition against the baseline
    note: NotRequired[str]  # why a baseline could not be used


class FindingDict(TypedDict, total=False):
    """One finding, `path:line:col CODE message`; empty fields are left out."""

    path: Required[str]
    line: int
    col: int
    code: str
    message: str
    severity: str
    artifacts: dict[str, str]  # name -> path of files kept as its evidence (a screenshot)


class CheckDict(TypedDict):
    """What became of one check (an `Outcome`, plus its check type's name)."""

    id: str  # the pytest node id
    stage: str
    check: str
    type: str  # the check type's name ("ruff", "tests"); "" for a check not in gates.toml
    tool: str
    verdict: str  # passed, failed, error, blocked, skipped
    metrics: dict[str, float]
    conditions: list[ConditionDict]
    message: str
    duration_s: float
    findings: list[FindingDict]
    artifacts: dict[str, str]  # name -> path
    notes: list[str]


class EventDict(TypedDict):
    """One thing that happened to an environment (deployed, verified, rolled back...)."""

    status: str
    release: str | None
    reason: str
    at: str  # ISO 8601, UTC
    to_release: NotRequired[str | None]  # a rollback: the release serving again
    seconds: NotRequired[float]  # a rollback: how long it took


class EnvironmentDict(TypedDict):
    """One environment of gates.toml, used in this run or not."""

    env: str
    strategy: str
    promote: bool
    status: str  # "not used" when no selected check needed it
    url: str | None
    release: str | None
    confirmed: bool | None  # the target itself showed this release serves
    message: str
    events: list[EventDict]
    metrics: dict[str, float]


class RollbackDict(TypedDict):
    """A rollback on demand (`pytest --tower-rollback ENV`): who, when, why, what it did."""

    env: str
    strategy: str
    who: str  # $GITHUB_ACTOR, $GITLAB_USER_LOGIN, else the OS user
    reason: str  # --tower-reason
    at: str  # ISO 8601, UTC
    requested: str | None  # the release named (ENV=r5), None: the previous verified one
    from_release: str | None
    to_release: str | None
    seconds: float
    health: str  # the health check after the switch: "ok: ..." or "FAILED: ..."
    done: bool  # rolled back and healthy: the command's exit 0
    refused: bool  # nothing was touched (no such release, none earlier, locked)
    message: str


class ProjectDict(TypedDict):
    root: str
    commit: str | None  # git HEAD, None outside a git checkout


class ShardDataDict(TypedDict):
    """A shard's raw data of one split check, kept beside its report for the merge."""

    root: str  # the shard's project root (coverage paths are remapped from it)
    files: dict[str, str]  # coverage_data, shard_items, events, junit, durations: paths
    # relative to the report's folder


class MergedDict(TypedDict):
    """Where a merged report came from."""

    reports: list[str]  # the merged report files
    shards: int  # N of the shards merged (0: jobs split by stage only)
    jobs: list[str]  # one label per report: "shard 2/4", or "job -k lint" style summaries


class ReportDict(TypedDict):
    """The whole report. A run that never got going (a broken gates.toml, an error
    building the report, --collect-only) writes the short form: no `started`,
    `duration_s`, `project` or `config`; a configuration error has `error`."""

    schema: int
    verdict: str  # passed, failed, error, interrupted
    summary: str  # the TOWER GATE line
    complete: bool  # every expected check ran
    not_run: list[str]  # node ids of expected checks that did not run
    notes: NotRequired[list[str]]
    started: NotRequired[str]  # ISO 8601, UTC
    duration_s: NotRequired[float]
    project: NotRequired[ProjectDict]
    config: NotRequired[str]  # the gates.toml path
    error: NotRequired[str]  # a configuration error, in full
    config_sha256: NotRequired[str]  # of gates.toml: a merge takes only equal ones
    shard: NotRequired[str]  # "K/N": this report is one part of a --tower-shard run
    shard_data: NotRequired[dict[str, ShardDataDict]]  # check id -> kept raw data
    merged: NotRequired[MergedDict]  # written by --tower-merge
    rollback: NotRequired[RollbackDict]  # written by --tower-rollback (verdict
    # "rolled-back" when done, else "error": never "passed", no gate ran)
    checks: list[CheckDict]
    environments: list[EnvironmentDict]
