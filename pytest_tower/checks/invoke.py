"""The user's own command, run fail-closed: what `command`, `junit` and `sarif` share.

`run` is an argv list (no shell), or one string only with `shell = true` (then
`sh -c`). `ok_codes` are the exit codes that are results; any other code, a
signal, a timeout or a missing program is an error. `cwd` and `env` apply to
the command only (PATH starts with the folder of the Python running pytest,
where argv[0] is looked up first: a shell line finds the same tools).
`{env:NAME}` in `run` and `env` reads a variable of the environment pytest
runs in, and its value is masked as *** in every message, finding and note
(the environments' mask, reused).

What the command writes is evidence only if this run wrote it: `fresh_files`
refuses a glob matching nothing and a file older than the command's start (a
report or dist/ left by yesterday's run). The start is the modification time
of a marker file written just before the command runs, so it is read from the
file system's own clock, which lags time.time() by up to a clock tick.
"""

from __future__ import annotations

import glob
import os
import re
import stat
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_tower.core.model import CheckContext, Option, ToolError
from pytest_tower.core.names import table_label
from pytest_tower.core.runner import ToolRun, run_tool
from pytest_tower.core.secrets import SECRET, mask, masked_error

OPTIONS: dict[str, Option] = {
    "run": Option("str_or_list", "the command: a list of arguments (no shell), or one string "
                  "with shell = true; {env:NAME} reads a variable, masked in all output",
                  required=True),
    "shell": Option("bool", "run `run` (a string) with sh -c", default=False),
    "cwd": Option("str", "the folder the command runs in, relative to gates.toml",
                  default="."),
    "env": Option("table", "extra environment variables for the command ({env:NAME} reads "
                  "one of pytest's, masked in all output)", default={}),
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def ok_codes_option(default: Sequence[int], why: str = "") -> Option:
    return Option("int_list", "exit codes that are results" + (f" ({why})" if why else "")
                  + "; any other code (or a signal) is an error", default=list(default))


def validate(options: Mapping[str, Any], path_keys: Sequence[str] = ()) -> None:
    """`run` non-empty and shell-consistent, codes 0-255, cwd and paths inside the project."""
    run, shell = options["run"], options["shell"]
    if isinstance(run, str):
        if not shell:
            raise ValueError(f"run = {run!r} is a string, which needs a shell: write it as a "
                             'list (run = ["npm", "run", "build"]) or set shell = true')
        if not run.strip():
            raise ValueError("run is empty: give the command to run")
    else:
        if shell:
            raise ValueError("shell = true runs one command line: write run as one string "
                             '(run = "npm ci && npm run build"), or drop shell for a list')
        if not run or not run[0].strip():
            raise ValueError('run is empty: give the command, e.g. run = ["npm", "test"]')
    codes = options.get("ok_codes") or []
    bad = [c for c in codes if not 0 <= c <= 255]
    if bad:
        raise ValueError(f"ok_codes: {bad} cannot be exit codes (0 to 255)")
    for key in ("env",):
        for name in options[key]:
            if not _NAME.match(name):
                raise ValueError(f"env: {name!r} is not a variable name (letters, digits, _)")
    inside("cwd", options["cwd"])
    for key in path_keys:
        value = options[key]
        for pattern in [value] if isinstance(value, str) else value:
            if pattern:
                inside(key, pattern)


def inside(key: str, pattern: str) -> None:
    parts = PurePosixPath(pattern).parts
    if not pattern.strip() or PurePosixPath(pattern).is_absolute() or ".." in parts:
        raise ValueError(f"{key}: {pattern!r} must be a path or glob relative to gates.toml, "
                         "inside the project")


@dataclass
class Ran:
    """A finished command: its run, when it started (file-system time), what to mask."""

    run: ToolRun
    started_ns: int
    secrets: set[str] = field(default_factory=set)

    def mask(self, text: str) -> str:
        return mask(text, self.secrets)


def run_command(ctx: CheckContext, *, ok_codes: Sequence[int], what: str) -> Ran:
    """Run the check's `run` in its `cwd` with its `env`; ToolError (masked) when it fails."""
    import time

    secrets: set[str] = set()
    opts = ctx.options
    where = table_label(ctx.check_id)
    run = opts["run"]
    argv = ["sh", "-c", run] if isinstance(run, str) else list(run)
    argv = [fill(a, secrets, where) for a in argv]
    env = {k: fill(v, secrets, where) for k, v in opts["env"].items()}
    if "PATH" not in env:  # as for argv[0]: the tools installed beside pytest-tower first
        env["PATH"] = os.pathsep.join(dict.fromkeys(filter(None, (
            sysconfig.get_path("scripts"), str(Path(sys.executable).parent),
            os.environ.get("PATH", "")))))
    cwd = (ctx.root / opts["cwd"]).resolve()
    if not cwd.is_dir():
        raise ToolError(f"cwd = {opts['cwd']!r}: no such folder under {ctx.root}",
                        fix=f"fix `cwd` in {where}")
    started_ns = _marker(ctx.artifacts_dir)
    left = ctx.deadline - time.monotonic() if ctx.deadline else ctx.timeout
    label = Path(argv[2].split()[0]).name if isinstance(run, str) and argv[2].split() \
        else Path(argv[0]).name
    failure: ToolError | None = None
    try:
        done = run_tool(argv, cwd=cwd, timeout=left, timeout_label=f"{ctx.timeout:g}s",
                        ok_codes=ok_codes, tool=label,
                        fix=f"see the command ({what}) in {where}", env=env)
    except ToolError as exc:
        failure = exc
    if failure is not None:  # masked, and never chained to the error that saw the secrets
        if isinstance(run, str) and "exited with code 127," in failure.what:
            failure.what = ("the shell could not find a program the command names (exit 127: "
                            "not installed, or not on PATH): " + failure.what)
        raise masked_error(failure, secrets) from None
    return Ran(done, started_ns, secrets)


def label(run_option: str | list[str], ran: Ran) -> str:
    """The command as the report's `tool`: a list's first words, or the shell line, shortened
    (secrets masked)."""
    text = run_option if isinstance(run_option, str) else " ".join(run_option[:3])
    text = " ".join(ran.mask(text).split())
    return text if len(text) <= 60 else text[:59] + "…"


def fill(text: str, secrets: set[str], where: str) -> str:
    """`{env:NAME}` replaced by the variable's value (remembered in `secrets`)."""
    def secret(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise ToolError(f"environment variable {match.group(1)} is not set (used as "
                            f"{{env:{match.group(1)}}} in {where})",
                            fix=f"export {match.group(1)} before running pytest --tower")
        secrets.add(value)
        return value

    return SECRET.sub(secret, text)


def _marker(folder: Path) -> int:
    """The file system's "now": the mtime of a file written just now (ns)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "command-started"
    marker.write_bytes(b"")
    os.utime(marker)  # an existing marker: touched, not only truncated
    return marker.stat().st_mtime_ns


def fresh_files(root: Path, patterns: Sequence[str], ran: Ran, key: str,
                where: str) -> list[Path]:
    """The regular files the globs match under root, each written during the run.

    A glob matching no file, a matched file older than the command's start, or
    one outside the project is a ToolError: no evidence comes from a file this
    run did not write.
    """
    if not patterns:
        raise ToolError(f"`{key}` names no file: nothing to measure", fix=f"set `{key}` in "
                        f"{where}")
    found: dict[str, Path] = {}
    real_root = root.resolve()
    for pattern in patterns:
        # root_dir: a project folder named like a glob ("[x]") is taken literally
        matched = [root / p for p in sorted(glob.glob(pattern, root_dir=root, recursive=True))]
        files = [p for p in matched if _regular(p)]
        if not files:
            dirs = "" if not matched else f" (only {len(matched)} folder(s) or special files)"
            raise ToolError(f"{key} {pattern!r} matches no file under {root}{dirs}: the "
                            "command did not write it (nothing was measured)",
                            command=[ran.mask(a) for a in ran.run.argv],
                            stderr=ran.mask(ran.run.stderr or ran.run.stdout),
                            fix=f"make the command write it, or fix `{key}` in {where}")
        for path in files:
            if not path.resolve().is_relative_to(real_root):
                raise ToolError(f"{key} {pattern!r} matches {path}, which resolves outside "
                                "the project", fix=f"fix `{key}` in {where}")
            found.setdefault(str(path.resolve()), path)
    stale = [p for p in found.values() if p.stat().st_mtime_ns < ran.started_ns]
    if stale:
        names = ", ".join(show(p, root) for p in stale[:5]) + (" ..." if len(stale) > 5 else "")
        raise ToolError(f"{len(stale)} file(s) matched by `{key}` are older than this run "
                        f"(the command did not write them): {names}",
                        command=[ran.mask(a) for a in ran.run.argv],
                        stderr=ran.mask(ran.run.stderr or ran.run.stdout),
                        fix=f"make the command (re)write every file `{key}` matches (clean "
                        f"the folder first), or narrow `{key}` in {where}")
    return sorted(found.values(), key=lambda p: show(p, root))


def show(path: Path, root: Path) -> str:
    """A matched file as the user names it: posix, relative to gates.toml."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
