"""Type gate: one mypy run over `paths`, the project's own mypy configuration, JSON output.

mypy runs as `python -m mypy` in the audited interpreter (the one pytest runs
in unless `python` says otherwise): mypy resolves imports, stubs and plugins
of the environment it runs in, so the project's own mypy is the one to run.

Traps defended: mypy reports nothing when it checked nothing (every file
excluded, a config whose `files` match nothing) — how many modules it checked
is read from its own `--linecount-report` (one line per module it type
checked), written into a folder emptied first so an old report never counts;
0 is an error. Exit 2 is mypy stopping (a syntax error, a bad flag, a crash):
an error, with what it said. Exit 1 with no error in the JSON, or 0 with
errors, is output we do not understand: an error. `-O json` exists from mypy
1.11 on; an older mypy is refused by version, not misread. A condition on
`errors[CODE]` with a code this mypy does not know errors instead of reading 0
(the codes come from the mypy that ran).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest_tower.checks.newcode as newcode
import pytest_tower.checks.pins as _pins
from pytest_tower.checks.distributions import python_of
from pytest_tower.core.fs import relative
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    FindingsStyle,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label

INSTALL = (_pins.install_hint("mypy") + " into the environment the project's tests run in "
           "(pip install 'pytest-tower[mypy]'), or set `python`")
# The codes of the mypy that runs, printed by that mypy's own interpreter.
_CODES = ("import json, mypy.errorcodes as e; "
          "print(json.dumps(sorted(getattr(e, 'error_codes', {}))))")


def run(ctx: CheckContext) -> Measurement:
    python = python_of(ctx)
    paths = ctx.options["paths"]
    missing = [p for p in paths if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(f"nothing to type-check at {', '.join(map(repr, missing))}: no such "
                        f"path under {ctx.root}", fix=f"fix `paths` in "
                        f"{table_label(ctx.check_id)}")
    new = newcode.for_check(ctx) if ctx.options["base"] else None
    version = _version(ctx, python)
    linecount = ctx.artifacts_dir / "mypy-linecount"
    shutil.rmtree(linecount, ignore_errors=True)  # a report left by an earlier run never counts
    config = ["--config-file", ctx.options["config"]] if ctx.options["config"] else []
    argv = [python, "-m", "mypy", *config, *ctx.options["args"], "-O", "json",
            "--linecount-report", str(linecount), *paths]
    result = ctx.run(argv, ok_codes=(0, 1, 2), tool="mypy", fix=INSTALL)
    messages = _parse(result.stdout, result.argv, result.stderr, result.returncode)
    if result.returncode == 2:
        said = "; ".join(_line(m, ctx.root) for m in messages[:5])
        raise ToolError("mypy stopped before it type-checked (exit 2)"
                        + (f": {said}" if said else ""), command=result.argv,
                        stderr=result.stderr, fix="fix what mypy says (a syntax error, a bad "
                        "option, a config that names no files), then run it again")
    errors = [m for m in messages if m.get("severity") == "error"]
    if (result.returncode == 1) != bool(errors):
        raise ToolError(f"mypy exited {result.returncode} but its JSON output lists "
                        f"{len(errors)} error(s): output not understood", command=result.argv,
                        stderr=result.stderr, fix=INSTALL)
    files = _checked_modules(linecount, result.argv, result.stderr)
    if files == 0:
        raise ToolError("mypy type-checked no module" + (f" under {', '.join(paths)}" if paths
                                                          else " (its config's `files`)")
                        + ": nothing was checked", command=result.argv, stderr=result.stderr,
                        fix="point `paths` at your sources, or check mypy's `files` and "
                        "`exclude` settings")
    measurement = _measure(messages, files, ctx.root, version, new)
    measurement.known_keys["errors"] = _known_codes(ctx, python)
    if new is not None:
        measurement.known_keys["new_errors"] = measurement.known_keys["errors"]
    return measurement


def _parse(stdout: str, argv: list[str], stderr: str, returncode: int) -> list[dict[str, Any]]:
    """mypy's JSON lines: one object per error or note."""
    messages: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict) or not {"file", "line", "message", "severity"} <= set(item):
            if returncode == 2:  # mypy's own complaint ("There are no .py[i] files ..."),
                break            # told through stdout/stderr below
            raise ToolError("mypy printed output that is not its JSON report: "
                            + repr(line[:200]), command=argv, stderr=stderr,
                            fix="make sure `python` runs mypy >= 1.11 and nothing else "
                            "prints to stdout")
        messages.append(item)
    if returncode == 2 and not messages and stdout.strip():
        raise ToolError("mypy stopped before it type-checked (exit 2): "
                        + stdout.strip().splitlines()[0][:300], command=argv, stderr=stderr,
                        fix="fix `paths`, or mypy's `files` / `exclude` settings")
    return messages


def _checked_modules(folder: Path, argv: list[str], stderr: str) -> int:
    """Modules in mypy's linecount report (`lines typed total any module`, then `total`)."""
    report = folder / "linecount.txt"
    try:
        lines = report.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ToolError(f"mypy wrote no linecount report ({exc.strerror}), so how many modules "
                        "it checked is unknown", command=argv, stderr=stderr,
                        fix="run mypy >= 1.11 (its --linecount-report)") from None
    rows = [line.split() for line in lines if line.strip()]
    if not rows or any(len(r) != 5 or not all(c.isdigit() for c in r[:4]) for r in rows):
        raise ToolError(f"mypy's linecount report is not in the form this check reads: "
                        f"{lines[:2]!r}", command=argv, fix=INSTALL)
    return sum(1 for r in rows if r[4] != "total")


def _measure(messages: list[dict[str, Any]], files: int, root: Path, version: str,
             new: newcode.NewCode | None) -> Measurement:
    errors = [m for m in messages if m.get("severity") == "error"]
    notes = [m for m in messages if m.get("severity") != "error"]
    codes = Counter(_code(m) for m in errors)
    metrics: dict[str, float] = {"errors": len(errors), "files": files, "notes": len(notes)}
    metrics.update({f"errors[{code}]": n for code, n in codes.items()})
    fresh = [new is not None and new.touches(str(m["file"]), _int(m.get("line")),
                                             _int(m.get("end_line"))) for m in errors]
    findings = sorted((_finding(m, root) for m, is_new in zip(errors, fresh, strict=True)
                       if is_new), key=_order)
    findings = [newcode.mark(f) for f in findings]
    findings += sorted((_finding(m, root) for m, is_new in zip(errors, fresh, strict=True)
                        if not is_new), key=_order)
    findings += sorted((_finding(m, root) for m in notes), key=_order)
    measurement = Measurement(metrics, findings, tool=version)
    if new is not None:
        metrics.update(newcode.count("new_errors", (
            _code(m) for m, is_new in zip(errors, fresh, strict=True) if is_new)))
        measurement.notes.append(new.note(f"{sum(fresh)} of {len(errors)} errors on changed "
                                          "lines"))
    return measurement


def _finding(m: dict[str, Any], root: Path) -> Finding:
    column = _int(m.get("column"))
    hint = f" ({m['hint'].splitlines()[0]})" if isinstance(m.get("hint"), str) else ""
    return Finding(path=relative(str(m["file"]), root), line=_int(m.get("line")),
                   col=None if column is None else column + 1,  # 0-based in the JSON
                   code=_code(m), message=str(m["message"]) + hint,
                   severity="" if m.get("severity") == "error" else str(m.get("severity")))


def _order(f: Finding) -> tuple[str, int, int, str]:
    return (f.path, f.line or 0, f.col or 0, f.code)


def _line(m: dict[str, Any], root: Path) -> str:
    f = _finding(m, root)
    return f"{f.path}:{f.line}:{f.col} [{f.code}] {f.message}"


def _code(m: dict[str, Any]) -> str:
    """The error code; `misc` when mypy gives none (hide_error_codes, or a note)."""
    return str(m.get("code") or "misc")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _known_codes(ctx: CheckContext, python: str) -> list[str]:
    run = ctx.run([python, "-c", _CODES], tool="mypy", fix=INSTALL)
    try:
        codes = json.loads(run.stdout)
    except json.JSONDecodeError:
        codes = None
    if not isinstance(codes, list) or not codes:
        raise ToolError("could not read the error codes this mypy knows", command=run.argv,
                        stderr=run.stderr, fix=INSTALL)
    return sorted({str(c) for c in codes} | {"misc"})


def _version(ctx: CheckContext, python: str) -> str:
    """mypy's version line, checked against the supported range (-O json: 1.11)."""
    run = ctx.run([python, "-m", "mypy", "--version"], ok_codes=range(256), tool="mypy",
                  fix=INSTALL)
    if run.returncode != 0:
        raise ToolError(f"mypy is not installed for {python}", command=run.argv,
                        stderr=run.stderr, fix=INSTALL)
    return _pins.check("mypy", "mypy", run.stdout, command=run.argv, executable=python)


def validate(options: Mapping[str, Any]) -> None:
    """`base` for new_errors; `args` may not take over the output format or the report."""
    newcode.validate(options, ["new_errors"])
    for arg in options["args"]:
        name = arg.split("=", 1)[0]
        if name in ("-O", "--output") or name.endswith("-report") or name in (
                "--install-types", "--non-interactive", "-h", "--help", "-V", "--version"):
            raise ValueError(f"args: {arg!r} is set by the check itself (it reads mypy's JSON "
                             "output and its linecount report); leave it out")


CHECK_TYPE = CheckType(
    name="mypy",
    run=run,
    findings=FindingsStyle(tool="mypy", information_uri="https://mypy.readthedocs.io/",
                           levels={"NOTE": "note"}),
    charted=["errors"],
    install=INSTALL,
    help="Type-check with mypy: one run over `paths`, the project's own mypy configuration "
         "(mypy.ini, setup.cfg or pyproject.toml), read from its JSON output.",
    metrics=[
        MetricSpec("errors", help="type errors; errors[arg-type] counts one error code (a "
                   "code this mypy knows: a typo is an error)", keyed=True, key_default=0),
        MetricSpec("files", help="modules mypy type-checked (its linecount report); 0 is an "
                   "error"),
        MetricSpec("notes", help="notes mypy printed (reveal_type, hints)"),
        MetricSpec("new_errors", help="errors on lines changed since `base` (needs base); "
                   "new_errors[arg-type] counts one code", keyed=True, key_default=0),
    ],
    options={
        "paths": Option("str_list", "files and folders to check, relative to gates.toml "
                        "(default: the `files` of the project's mypy config)", default=[]),
        "config": Option("str", "the mypy config file (default: mypy's own search: mypy.ini, "
                         ".mypy.ini, pyproject.toml, setup.cfg)", default=""),
        "args": Option("str_list", "more mypy flags, e.g. [\"--strict\"]", default=[]),
        "python": Option("str", "the interpreter whose mypy runs (default: the one pytest "
                         "runs in)", default=""),
        "base": Option("str", newcode.BASE_HELP, default=""),
    },
    default_conditions=["errors == 0"],
    implied_conditions=["files >= 1"],
    default_timeout=600.0,
    validate=validate,
)
