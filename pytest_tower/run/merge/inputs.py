"""The reports a merge reads, and whether they belong together. Fails closed, by name.

Any folder given is searched for tower reports (JSON with `schema`, `summary`
and `checks`); other JSON there (coverage, durations, shard items) is skipped,
an unreadable one is an error (it may be the report of a job cut short). The
reports must come from the same gates.toml (sha256) and commit — this
checkout's too — and the shards of one run, each once: every problem is an
error naming the report and its shard, since a merge of the wrong parts would
be a verdict about nothing that ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tower.run.shard import Shard, parse_shard


class MergeError(Exception):
    """The reports cannot be merged into a verdict; the message names the culprit."""


@dataclass
class Part:
    """One report to merge: a shard, or a job that ran some checks whole."""

    path: Path
    report: dict[str, Any]
    shard: Shard | None

    @property
    def label(self) -> str:
        where = self.path.as_posix()
        return f"shard {self.shard.label} ({where})" if self.shard else f"report {where}"


def find_reports(args: list[str], cwd: Path) -> list[Path]:
    """The report files named, or found in the folders named."""
    found: list[Path] = []
    for arg in args:
        path = cwd / arg
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            inside = [p for p in sorted(path.rglob("*.json")) if _is_report(p)]
            if not inside:
                raise MergeError(f"{arg}: no tower report in this folder (did the jobs upload "
                                 "their reports, and were the artifacts downloaded here?)")
            found.extend(inside)
        else:
            raise MergeError(f"{arg}: no such file or folder")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return [_shown(p, cwd) for p in unique]


def _is_report(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{path}: cannot be read as JSON ({exc}): a report cut short?"
                         ) from None
    return isinstance(data, dict) and {"schema", "summary", "checks"} <= data.keys()


def _shown(path: Path, cwd: Path) -> Path:
    return path.relative_to(cwd.resolve()) if path.is_relative_to(cwd.resolve()) else path


def read_part(path: Path, cwd: Path) -> Part:
    try:
        data = json.loads((cwd / path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or not {"schema", "summary", "checks"} <= data.keys():
        raise MergeError(f"{path}: not a pytest-tower report")
    shard = None
    if "shard" in data:
        try:
            shard = parse_shard(str(data["shard"]), {})
        except ValueError as exc:
            raise MergeError(f"{path}: its shard {data['shard']!r} is not K/N ({exc})"
                             ) from None
    part = Part(path, data, shard)
    if data.get("verdict") == "running":
        raise MergeError(f"{part.label} never finished: its report is still the stub its run "
                         "writes at the start (the job was killed, or timed out)")
    if "error" in data or "config_sha256" not in data:
        why = data.get("error") or data.get("summary") or "no gates.toml hash in it"
        raise MergeError(f"{part.label} is not the report of a finished gate run: {why}")
    return part


def check_together(parts: list[Part], config_sha256: str, commit: str | None) -> int:
    """Raise MergeError unless the parts fit together; the number of shards (0: none)."""
    for part in parts:
        if part.report["config_sha256"] != config_sha256:
            raise MergeError(f"{part.label} ran another gates.toml (sha256 "
                             f"{str(part.report['config_sha256'])[:12]}…, this checkout's is "
                             f"{config_sha256[:12]}…): every job must run the same commit")
    commits = {p.report.get("project", {}).get("commit") for p in parts}
    if commit is not None:
        commits.add(commit)
    if len(commits) > 1:
        odd = next(p for p in parts if p.report.get("project", {}).get("commit")
                   != (commit if commit is not None else parts[0].report.get(
                       "project", {}).get("commit")))
        other = commit if commit is not None else parts[0].report.get("project", {}).get(
            "commit")
        raise MergeError(f"{odd.label} is from commit "
                         f"{_short(odd.report.get('project', {}).get('commit'))}, not "
                         f"{_short(other)}" + (" (this checkout)" if commit is not None else "")
                         + ": the parts of one verdict must test one commit")
    return _shard_count(parts)


def _shard_count(parts: list[Part]) -> int:
    shards = [p for p in parts if p.shard is not None]
    if not shards:
        return 0
    totals = {p.shard.total for p in shards if p.shard is not None}
    if len(totals) > 1:
        first = shards[0]
        odd = next(p for p in shards if p.shard is not None and first.shard is not None
                   and p.shard.total != first.shard.total)
        raise MergeError(f"{odd.label} and {first.label} are shards of runs split in "
                         "different numbers of shards")
    total = totals.pop()
    seen: dict[int, Part] = {}
    for part in shards:
        assert part.shard is not None
        if part.shard.index in seen:
            raise MergeError(f"shard {part.shard.label} twice: {seen[part.shard.index].path} "
                             f"and {part.path} (one job's artifacts downloaded twice?)")
        seen[part.shard.index] = part
    missing = [k for k in range(1, total + 1) if k not in seen]
    if missing:
        names = ", ".join(f"{k}/{total}" for k in missing)
        raise MergeError(f"shard {names} missing: no report for it among the {len(parts)} "
                         "merged (did its job fail before uploading, or was it skipped?)")
    return total


def _short(commit: Any) -> str:
    return str(commit)[:12] if commit else "(no git commit)"
