"""`pytest --tower-merge DIR_OR_REPORT...`: the one verdict over shards and split jobs.

Runs from pytest_cmdline_main (like --tower-show): no session and no gate runs,
only the reports and data of the jobs that did, read from the paths given,
with this checkout's gates.toml. It writes what a run writes — the report,
Markdown/step summary, SARIF, HTML, history — and exits 0 only when the merged
gate passed: 1 when it failed or the parts cannot be merged (the report says
why, naming the part), 4 for a usage or configuration error.
"""

from __future__ import annotations

import importlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_tower.core.config import CheckSpec, Pipeline, load_pipeline
from pytest_tower.core.errors import ConfigError
from pytest_tower.core.outcome import SKIPPED, Outcome, gate_verdict
from pytest_tower.run.merge.inputs import MergeError, Part, check_together, find_reports, read_part
from pytest_tower.run.merge.output import Merged, finish_merge, write_failure
from pytest_tower.run.shard import file_sha256

RUNS = ".tower/runs"


def merge_main(config: pytest.Config) -> int:
    from pytest_tower.run.registry import collect_check_types
    from pytest_tower.run.start import gates_path
    from pytest_tower.run.stubs import Targets, tower_setting, write_stubs

    if not config.pluginmanager.has_plugin("tower-builtin-checks"):
        config.pluginmanager.register(importlib.import_module("pytest_tower.checks"),
                                      "tower-builtin-checks")
    path, here = gates_path(config), config.invocation_params.dir
    if config.getoption("tower_shard", None):
        return _usage("--tower-merge runs no gate, so --tower-shard has no meaning with it: "
                      "run the shards first, then merge their reports", None)
    cli_report = config.getoption("tower_report")
    try:
        pipeline = load_pipeline(path, collect_check_types(config))
    except ConfigError as exc:
        return _usage(f"{exc}", Path(here / cli_report) if cli_report else None)
    except pytest.UsageError as exc:
        return _usage(str(exc).removeprefix("pytest-tower: "), None)
    report = (here / cli_report if cli_report else
              pipeline.root / pipeline.report if pipeline.report else None)
    others = {name: here / str(config.getoption(f"tower_{name}"))
              for name in ("markdown", "sarif", "html") if config.getoption(f"tower_{name}")}
    try:
        write_stubs(Targets(report, others), pipeline.path)
    except pytest.UsageError as exc:
        return _usage(str(exc).removeprefix("pytest-tower: "), None)
    merged = Merged(config, pipeline, report, others, time.time())
    merged.require_complete = bool(config.getoption("tower_require_complete")
                                   or tower_setting(path, "require_complete") is True)
    try:
        ours = {p.resolve() for p in [report, *others.values()] if p is not None}
        parts = [read_part(p, here) for p in find_reports(config.getoption("tower_merge"), here)
                 if (here / p).resolve() not in ours]  # not this merge's own (stub) report
        from pytest_tower.report.json_report import git_commit

        merged.commit = git_commit(pipeline.root)
        merged.shards = check_together(parts, file_sha256(pipeline.path), merged.commit)
        merged.parts = parts
        _say(f"tower: merging {len(parts)} report(s): "
             + ", ".join(p.label for p in parts))
        merged.outcomes = _outcomes(merged, parts, here)
    except MergeError as exc:
        return write_failure(merged, f"cannot merge: {exc}")
    _verdict(merged)
    return finish_merge(merged)


def _outcomes(merged: Merged, parts: list[Part], here: Path) -> list[Outcome]:
    from pytest_tower.history.baseline import baseline_from_history, load_baseline
    from pytest_tower.run.merge.combine import outcomes

    pipeline = merged.pipeline
    baseline = load_baseline(pipeline.root / pipeline.baseline)
    if not baseline and any(c.relative is not None for s in pipeline.checks()
                            for c in (*s.conditions, *s.warn)):
        baseline, _ = baseline_from_history(pipeline.root / pipeline.history,
                                            pipeline.base_branch)
    merged.baseline = baseline
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    artifacts = pipeline.root / RUNS / f"{run_id}-merge" / "artifacts"
    return outcomes(pipeline, parts, here, artifacts, baseline,
                    lambda spec: nodeid(merged.config, pipeline, spec))


def _verdict(merged: Merged) -> None:
    expected = [s for s in merged.pipeline.checks() if not _promote_only(merged.pipeline, s)]
    ran = [o for o in merged.outcomes if o.verdict != SKIPPED]
    ran_ids = {o.id for o in ran}
    not_run = [nodeid(merged.config, merged.pipeline, s) for s in expected
               if nodeid(merged.config, merged.pipeline, s) not in ran_ids]
    problem = ""
    if not_run and merged.require_complete:
        shown = ", ".join("::".join(n.split("::")[-2:]) for n in not_run[:5])
        problem = (f"partial merge, and require_complete is set: {shown} not run in any "
                   "merged report; merge every job's report")
    merged.verdict = gate_verdict(ran, expected=len(expected), not_run=not_run,
                                  problem=problem)


def _promote_only(pipeline: Pipeline, spec: CheckSpec) -> bool:
    env = pipeline.environments.get(spec.environment or "")
    return bool(env is not None and env.promote)


def nodeid(config: pytest.Config, pipeline: Pipeline, spec: CheckSpec) -> str:
    from pytest_tower.run.views import gates_file_id

    return f"{gates_file_id(config.rootpath, pipeline.path)}::{spec.stage}::{spec.name}"


def _usage(message: str, report: Path | None) -> int:
    if report is not None:
        import contextlib

        from pytest_tower.report.json_report import write_config_error

        with contextlib.suppress(OSError):
            write_config_error(report, message)
    sys.stderr.write(f"ERROR: pytest-tower: {message}\n")
    return int(pytest.ExitCode.USAGE_ERROR)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
