"""Lint gate: one ruff run over all paths, read from its JSON output.

Traps defended (TOOLS.md): an empty or fully excluded tree exits 0 having
linted nothing; a missing path only shows as an E902 entry; the rule set is
the project's own ruff config unless the check says `select`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pytest_tower.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)

INSTALL = "pip install 'ruff>=0.17,<0.18' (pytest-tower installs it), or set executable"
IO_ERROR = "E902"


def run(ctx: CheckContext) -> Measurement:
    exe = ctx.options["executable"]
    paths = ctx.options["paths"]
    missing = [p for p in paths if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(
            f"nothing to lint at {', '.join(map(repr, missing))}: no such path under {ctx.root}",
            fix=f"fix `paths` in [{ctx.check_id.replace('::', '.')}]",
        )
    rules: list[str] = []
    if ctx.options["select"]:
        rules += ["--select", ",".join(ctx.options["select"])]
    if ctx.options["ignore"]:
        rules += ["--ignore", ",".join(ctx.options["ignore"])]
    files = ctx.run([exe, "check", "--show-files", "--", *paths], tool="ruff", fix=INSTALL)
    linted = [line for line in files.stdout.splitlines() if line.strip()]
    if not linted:
        raise ToolError(
            f"ruff found no Python files to lint under {', '.join(paths)}: nothing was checked",
            command=files.argv,
            stderr=files.stderr,
            fix="point `paths` at your sources, or check ruff's exclude/extend-exclude settings",
        )
    result = ctx.run(
        [exe, "check", "--output-format", "json", "--no-fix", *rules, "--", *paths],
        ok_codes=(0, 1),
        tool="ruff",
        fix=INSTALL,
    )
    diagnostics = _parse(result.stdout, result.argv, result.stderr)
    if result.returncode == 1 and not diagnostics:
        raise ToolError("ruff exited 1 (violations) but reported none", command=result.argv,
                        stderr=result.stderr)
    io_errors = [d for d in diagnostics if d.get("code") == IO_ERROR]
    if io_errors:
        raise ToolError(
            "ruff could not read: "
            + "; ".join(f"{d.get('filename')}: {d.get('message')}" for d in io_errors),
            command=result.argv,
            fix="fix `paths` or the files' permissions",
        )
    return _measure(diagnostics, len(linted), ctx.root, _version(ctx, exe))


def _parse(stdout: str, argv: list[str], stderr: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, list) or not all(
        isinstance(d, dict) and "filename" in d and "message" in d for d in data
    ):
        raise ToolError(
            "ruff printed output that is not its JSON report: " + repr(stdout[:200]),
            command=argv,
            stderr=stderr,
            fix="make sure `executable` is ruff >= 0.17 and no wrapper prints to stdout",
        )
    return data


def _measure(diagnostics: list[dict[str, Any]], files: int, root: Path,
             version: str) -> Measurement:
    codes = Counter(_code(d) for d in diagnostics)
    fixable = sum(1 for d in diagnostics if (d.get("fix") or {}).get("applicability") == "safe")
    metrics: dict[str, float] = {"violations": len(diagnostics), "fixable": fixable,
                                 "files": files}
    metrics.update({f"violations[{code}]": n for code, n in codes.items()})
    findings = sorted(
        (
            Finding(
                path=_relative(d["filename"], root),
                line=(d.get("location") or {}).get("row"),
                col=(d.get("location") or {}).get("column"),
                code=_code(d),
                message=d["message"],
            )
            for d in diagnostics
        ),
        key=lambda f: (f.path, f.line or 0, f.col or 0, f.code),
    )
    return Measurement(metrics, findings, tool=version)


def _code(diagnostic: dict[str, Any]) -> str:
    return diagnostic.get("code") or diagnostic.get("name") or "invalid-syntax"


def _relative(filename: str, root: Path) -> str:
    try:
        return str(Path(filename).relative_to(root))
    except ValueError:
        return filename


def _version(ctx: CheckContext, exe: str) -> str:
    out = ctx.run([exe, "--version"], tool="ruff", fix=INSTALL).stdout.strip()
    return out or "ruff (unknown version)"


CHECK_TYPE = CheckType(
    name="ruff",
    run=run,
    help="Lint with ruff: one run over all paths, the project's own ruff configuration.",
    metrics=[
        MetricSpec("violations", help="violations found; violations[F401] counts one rule",
                   keyed=True, key_default=0),
        MetricSpec("fixable", help="violations ruff can fix safely (ruff check --fix)"),
        MetricSpec("files", help="Python files ruff linted"),
    ],
    options={
        "paths": Option("str_list", "files and folders to lint, relative to gates.toml",
                        default=["."]),
        "select": Option("str_list", "rule codes or prefixes to enable instead of the "
                         "project's configuration", default=[]),
        "ignore": Option("str_list", "rule codes or prefixes to ignore", default=[]),
        "executable": Option("str", "the ruff binary to run", default="ruff"),
    },
    default_conditions=["violations == 0"],
    default_timeout=120.0,
)
