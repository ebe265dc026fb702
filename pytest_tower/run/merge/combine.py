"""One outcome per check of gates.toml, from the parts that ran it.

A check that runs whole must come from exactly one part (two parts that both
ran it are an error: which one is the verdict?). A split check (run/shard.py)
comes from every shard: the shards' item lists must cover the collected items
exactly once, then its check type's `merge_shards` measures the whole and the
conditions are judged again on that, with the baseline a single run would use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_tower.core.config import CheckSpec, Pipeline
from pytest_tower.core.model import CheckContext, Measurement, ToolError
from pytest_tower.core.names import check_key
from pytest_tower.core.outcome import ERROR, SKIPPED, Outcome, judge
from pytest_tower.run.merge.inputs import MergeError, Part
from pytest_tower.run.shard import ShardPart, merge_function, splits


def outcomes(pipeline: Pipeline, parts: list[Part], cwd: Path, artifacts: Path,
             baseline: Mapping[str, Mapping[str, float]], nodeid: Any) -> list[Outcome]:
    """Every check's merged outcome, in pipeline order (`nodeid(spec)` names it)."""
    found = []
    shards = [p for p in parts if p.shard is not None]
    for spec in pipeline.checks():
        ran = [(p, c) for p in parts for c in p.report["checks"]
               if (c.get("stage"), c.get("check")) == (spec.stage, spec.name)
               and c.get("verdict") != SKIPPED]
        if shards and splits(spec) and any(p.shard is not None for p, _ in ran):
            whole = [p for p, _ in ran if p.shard is None]
            if whole:
                raise MergeError(f"{spec.id} ran twice: split over the shards, and whole in "
                                 f"{whole[0].label}")
            found.append(_split(spec, nodeid(spec), shards, ran, (cwd, pipeline.root),
                                artifacts, baseline.get(spec.id)))
        elif len(ran) > 1:
            raise MergeError(f"{spec.id} ran in more than one part: {ran[0][0].label} and "
                             f"{ran[1][0].label}; run each check in one job only")
        elif ran:
            found.append(_recorded(nodeid(spec), ran[0][1]))
        else:
            found.append(Outcome(nodeid(spec), spec.stage, spec.name, SKIPPED,
                                 message="not run in any merged report"))
    return found


def _recorded(nodeid: str, check: Mapping[str, Any]) -> Outcome:
    keys = ("tool", "metrics", "conditions", "message", "findings", "duration_s",
            "artifacts", "notes")
    return Outcome(nodeid, str(check["stage"]), str(check["check"]), str(check["verdict"]),
                   **{k: check[k] for k in keys if k in check})


def _split(spec: CheckSpec, nodeid: str, shards: list[Part],
           ran: list[tuple[Part, Mapping[str, Any]]], places: tuple[Path, Path],
           artifacts: Path, baseline: Mapping[str, float] | None) -> Outcome:
    """Measure the whole from the shards' data; judge it (cwd: where report paths start)."""
    started = time.monotonic()
    cwd, root = places
    by_part = {id(p): c for p, c in ran}
    bad = [(p, by_part.get(id(p))) for p in shards]
    for part, check in bad:
        if check is None:
            raise MergeError(f"{part.label} did not run {spec.id} (it is split over every "
                             "shard, so its share of the tests never ran)")
        if check.get("verdict") not in ("passed", "failed"):  # error or blocked in a shard
            return Outcome(nodeid, spec.stage, spec.name, str(check.get("verdict")),
                           message=f"shard {part.shard.label if part.shard else '?'}: "
                           f"{check.get('message', '')}", tool=str(check.get("tool", "")))
    pieces = [_piece(spec, part, by_part[id(part)], cwd) for part in shards]
    _exactly_once(spec, pieces)
    ctx = CheckContext(check_id=spec.id, root=root, options=spec.options,
                       timeout=spec.timeout, artifacts_dir=artifacts / f"{spec.stage}."
                       f"{spec.name}", deadline=started + spec.timeout)
    outcome = Outcome(nodeid, spec.stage, spec.name, ERROR)
    try:
        measurement = merge_function(spec)(pieces, ctx)
        if not isinstance(measurement, Measurement):
            raise TypeError(f"merge_shards returned {measurement!r}, not a Measurement")
    except ToolError as exc:
        outcome.message = f"could not measure: {exc}"
    else:
        verdict, results, message = judge(spec, measurement, baseline)
        outcome.verdict, outcome.message, outcome.tool = verdict, message, measurement.tool
        outcome.metrics = dict(measurement.metrics)
        outcome.conditions = [r.to_dict() for r in results]
        outcome.findings = [f.to_dict() for f in measurement.findings]  # type: ignore[misc]
        outcome.artifacts = {k: _relative(v, root) for k, v in
                             measurement.artifacts.items()}
        outcome.notes = list(measurement.notes)
    outcome.duration_s = round(time.monotonic() - started, 3)
    return outcome


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def _piece(spec: CheckSpec, part: Part, check: Mapping[str, Any], cwd: Path) -> ShardPart:
    """The shard's kept data of this check, every path checked to exist."""
    assert part.shard is not None
    data = part.report.get("shard_data", {}).get(check_key(spec.stage, spec.name))
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise MergeError(f"{part.label} kept no data for {spec.id} (its report has no "
                         "shard_data for it)")
    base = (cwd / part.path).parent
    files = {str(k): base / str(v) for k, v in data["files"].items()}
    items = files.get("shard_items")
    try:
        listed: Any = json.loads(items.read_text(encoding="utf-8")) if items else None
        collected, selected = list(listed["collected"]), list(listed["selected"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MergeError(f"{part.label}: the list of tests it ran for {spec.id} is missing or "
                         f"unreadable ({items}: {exc}); upload the report's .data folder too"
                         ) from None
    return ShardPart(part.shard.label, part.path, str(data.get("root", "")), files, check,
                     collected, selected)


def _exactly_once(spec: CheckSpec, pieces: list[ShardPart]) -> None:
    """Every shard saw the same items, and every item is in exactly one shard's share."""
    first = pieces[0]
    for piece in pieces[1:]:
        if piece.collected != first.collected:
            extra = sorted(set(piece.collected) ^ set(first.collected))
            what = f"e.g. {extra[0]}" if extra else "the same tests in another order"
            raise MergeError(f"shard {piece.label} ({piece.report}) collected other tests "
                             f"for {spec.id} than shard {first.label} ({what}): the shards "
                             "did not run the same suite")
    owner: dict[str, str] = {}
    for piece in pieces:
        for nodeid in piece.selected:
            if nodeid in owner:
                raise MergeError(f"{spec.id}: test {nodeid} ran twice, in shard "
                                 f"{owner[nodeid]} and shard {piece.label} ({piece.report})"
                                 "; every shard must split with the same durations file")
            owner[nodeid] = piece.label
    never = [n for n in first.collected if n not in owner]
    if never:
        raise MergeError(f"{spec.id}: {len(never)} test(s) ran in no shard, e.g. {never[0]}")
    foreign = [n for n in owner if n not in set(first.collected)]
    if foreign:
        raise MergeError(f"{spec.id}: test {foreign[0]} ran in shard {owner[foreign[0]]} but "
                         "was never collected")
