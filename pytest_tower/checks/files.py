"""Required-files gate: LICENSE, README, SECURITY… must exist in the project.

A pattern may be a glob ("LICENSE*"); it is satisfied by a non-empty file
or a directory. An empty file counts as missing: an empty LICENSE grants
nothing, and a placeholder is what this gate is there to catch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_tower.model import CheckContext, CheckType, Finding, Measurement, MetricSpec, Option


def run(ctx: CheckContext) -> Measurement:
    findings: list[Finding] = []
    present = 0
    for pattern in ctx.options["required"]:
        problem = _problem(ctx.root, pattern)
        if problem:
            findings.append(Finding(path=pattern, code="missing", message=problem))
        else:
            present += 1
    return Measurement({"missing": len(findings), "present": present}, findings,
                       tool="files")


def _problem(root: Path, pattern: str) -> str:
    """Why `pattern` is not satisfied under root; '' when it is."""
    matches = sorted(root.glob(pattern)) if _is_glob(pattern) else [root / pattern]
    existing = [m for m in matches if m.exists()]
    if not existing:
        return f"no file matches under {root}" if _is_glob(pattern) else f"not found in {root}"
    if any(m.is_dir() or m.stat().st_size > 0 for m in existing):
        return ""
    return "is empty" if len(existing) == 1 else "every match is empty"


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def validate(options: Mapping[str, Any]) -> None:
    required = options["required"]
    if not required:
        raise ValueError('`required` is empty: list the files, e.g. ["LICENSE", "README.md"]')
    for pattern in required:
        parts = PurePosixPath(pattern).parts
        if not pattern.strip() or PurePosixPath(pattern).is_absolute() or ".." in parts:
            raise ValueError(f"required: {pattern!r} must be a path or glob relative to "
                             "gates.toml, inside the project")


CHECK_TYPE = CheckType(
    name="files",
    run=run,
    help="Files the project must ship (LICENSE, README.md, SECURITY.md…); globs allowed.",
    metrics=[
        MetricSpec("missing", help="required files (or globs) with no non-empty match"),
        MetricSpec("present", help="required files (or globs) that are there"),
    ],
    options={
        "required": Option("str_list", "file names or globs, relative to gates.toml",
                           required=True),
    },
    default_conditions=["missing == 0"],
    default_timeout=30.0,
    validate=validate,
)
