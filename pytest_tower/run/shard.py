"""--tower-shard K/N: which checks a shard runs, how much of them, and what it keeps.

A check type can split its work over shards when the module of its `run`
defines `merge_shards(parts, ctx) -> Measurement` (the tests type does): in a
shard run it gets the run-time options `tower_shard` ("K/N") and
`tower_durations`, runs its share, and leaves a `shard_items` artifact
({"collected": [...], "selected": [...]}) that the merge uses to prove every
item ran exactly once. Every other check runs whole, in one shard only: its
`shard = K` key, shard 1 by default (running a linter N times proves nothing
more, and the merge needs one outcome per check). Deploys never run in a shard:
a check of an environment is left out (it belongs to a job of its own, merged
like a shard: `-k deploy`).

Only upper bounds on counts and times are judged in a shard (a part can only
be smaller than the whole, so a shard over the bound means the whole is too);
coverage, lower bounds and baselines are judged by the merge.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_tower.core.conditions import Condition
from pytest_tower.core.config import CheckSpec, Pipeline
from pytest_tower.core.model import PERCENT, Option

MAX_SHARDS = 1000
GITLAB = ("CI_NODE_INDEX", "CI_NODE_TOTAL")  # GitLab `parallel: N`, 1-based
MATRIX = "TOWER_SHARD"  # "K/N", set from a GitHub Actions (or any) matrix
DURATIONS = ".tower/durations.json"  # committed: every shard must read the same one
SHARD_OPTION, DURATIONS_OPTION = "tower_shard", "tower_durations"  # run-time only
GENERIC = Option("int_or_auto", 'with --tower-shard: the one shard that runs this check; '
                 '"auto" = shard 1', default="auto")
ENV_STAGE = "environments"


@dataclass(frozen=True)
class Shard:
    index: int
    total: int
    source: str = "--tower-shard"

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"


@dataclass
class ShardPart:
    """One shard's share of a split check, as the merge hands it to `merge_shards`."""

    label: str  # "2/4"
    report: Path  # the shard's report file
    root: str  # the shard's project root (where its paths pointed)
    files: dict[str, Path]  # kept data: coverage_data, shard_items, events, junit, durations
    outcome: Mapping[str, Any]  # the check as the shard's report has it
    collected: list[str] = field(default_factory=list)  # every item, before the split
    selected: list[str] = field(default_factory=list)  # the items this shard kept


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> Shard:
    """`K/N`, or `auto` read from the CI's variables; ValueError says what is wrong."""
    env = os.environ if environ is None else environ
    if text.strip() != "auto":
        return _parse(text.strip(), "--tower-shard")
    if env.get(GITLAB[0], "").strip() or env.get(GITLAB[1], "").strip():
        index, total = (env.get(name, "").strip() for name in GITLAB)
        return _parse(f"{index}/{total}", f"${GITLAB[0]}/${GITLAB[1]}")
    if env.get(MATRIX, "").strip():
        return _parse(env[MATRIX].strip(), f"${MATRIX}")
    raise ValueError(f"--tower-shard auto: neither ${GITLAB[0]} and ${GITLAB[1]} (GitLab "
                     f"`parallel: N`) nor ${MATRIX} (e.g. {MATRIX}: "
                     "${{ matrix.shard }}/4 in a GitHub Actions matrix) is set; "
                     "or give the shard itself: --tower-shard 2/4")


def _parse(text: str, source: str) -> Shard:
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit()):
        raise ValueError(f"{source}: {text!r} is not a shard: expected K/N, e.g. 2/4 "
                         "(shard 2 of 4, counted from 1)")
    k, n = int(index), int(total)
    if not 1 <= n <= MAX_SHARDS:
        raise ValueError(f"{source}: {text!r}: the number of shards must be 1 to {MAX_SHARDS}")
    if not 1 <= k <= n:
        raise ValueError(f"{source}: {text!r}: the shard must be 1 to {n} (counted from 1)")
    return Shard(k, n, source)


def merge_function(spec: CheckSpec) -> Any:
    """The check type's `merge_shards`, or None for a type that runs whole."""
    module = importlib.import_module(spec.check_type.run.__module__)
    return getattr(module, "merge_shards", None)


def splits(spec: CheckSpec) -> bool:
    return spec.options.get("shard", "auto") == "auto" and merge_function(spec) is not None


def not_here(spec: CheckSpec, shard: Shard) -> str:
    """Why `spec` does not run in this shard, or '' when it does."""
    if spec.environment or spec.stage == ENV_STAGE:
        return ("deploys and the checks of an environment never run in a shard run: run "
                "them in a job of their own (pytest --tower -k ...), merged with the shards")
    value = spec.options.get("shard", "auto")
    owner = 1 if value == "auto" else int(value)
    if splits(spec) or owner == shard.index:
        return ""
    return f"runs in shard {owner}/{shard.total} (shard = {value!r})"


def usage_problem(pipeline: Pipeline, shard: Shard) -> str:
    """A `shard = K` beyond N: that check would run in no shard at all."""
    for spec in pipeline.checks():
        value = spec.options.get("shard", "auto")
        if value != "auto" and int(value) > shard.total:
            return (f"[{spec.stage}.{spec.name}] shard = {value}, but this run has "
                    f"{shard.total} shards, so it would run in none: use 1 to {shard.total}")
    return ""


def shard_spec(spec: CheckSpec, shard: Shard, durations: Path | None) -> CheckSpec:
    """The spec a shard measures: its share of the items, the conditions a part can judge."""
    if not splits(spec):
        return spec
    options = {**spec.options, SHARD_OPTION: shard.label,
               DURATIONS_OPTION: str(durations) if durations is not None else ""}
    return replace(spec, options=options,
                   conditions=tuple(c for c in spec.conditions if judged_in_shard(spec, c)),
                   warn=tuple(c for c in spec.warn if judged_in_shard(spec, c)))


def judged_in_shard(spec: CheckSpec, condition: Condition) -> bool:
    """An upper bound on a count or a time: a shard over it means the whole is over it."""
    metric = spec.check_type.metric(condition.metric)
    return (metric is not None and metric.unit != PERCENT and condition.relative is None
            and condition.threshold is not None
            and (condition.op in ("<", "<=") or (condition.op == "==" and
                                                  condition.threshold == 0)))


def deferred_note(spec: CheckSpec, shard: Shard) -> str:
    left = [c.expr for c in (*spec.conditions, *spec.warn) if not judged_in_shard(spec, c)]
    if not splits(spec) or not left:
        return ""
    return (f"shard {shard.label}: judged on the merged shards only (--tower-merge): "
            + ", ".join(left))


def durations_file(root: Path, option: str | None) -> Path | None:
    """The committed durations (per check id, per test id), when there is one."""
    path = root / (option or DURATIONS)
    return path if path.is_file() else None


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_durations(path: Path | None) -> dict[str, dict[str, float]]:
    """{check id: {test id: seconds}}; ValueError naming the file when it is not that."""
    if path is None:
        return {}
    import json
    import math

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"the durations file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and all(isinstance(s, (int, float)) and not isinstance(s, bool)
                                        and math.isfinite(s) and s >= 0 for s in v.values())
            for v in data.values()):
        raise ValueError(f"the durations file {path} is not {{check id: {{test id: seconds}}}}"
                         "; write it with --tower-store-durations")
    return {str(k): {str(t): float(s) for t, s in v.items()} for k, v in data.items()}


def check_durations(path: Path | None, spec: CheckSpec, folder: Path) -> Path | None:
    """This check's recorded durations as the file its child pytest reads, or None."""
    if path is None or not splits(spec):
        return None
    mine = read_durations(path).get(spec.id)
    if not mine:
        return None
    from pytest_tower.core.fs import write_json_atomic

    target = folder / f"{spec.stage}.{spec.name}.json"
    write_json_atomic(target, mine)
    return target
