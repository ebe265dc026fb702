"""Lint gate: one ruff run over all paths, read from its JSON output.

Traps defended: an empty or fully excluded tree exits 0 having
linted nothing; a missing path only shows as an E902 entry; the rule set is
the project's own ruff config unless the check says `select`, and a config
that enables no rule at all (for every linted file) checked nothing; a
condition on a rule code ruff does not know would read 0 forever.

Few ruff processes per gate (bench/bench_core.py measures the overhead): the
version, the file list, the settings and the lint start at once; the lint
with --ignore-noqa (what `# noqa` and `# ruff: disable` hide) runs only over
the files that have such a comment, and the probe lint that finds files a
lint-only exclude keeps out only when a config has one (`linter.exclude`).

Long because each trap above is its own ruff call or reading; which rules each
file gets is rules.py.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest_tower.checks.newcode as newcode  # `from pytest_tower import` may bind a stale module
import pytest_tower.checks.pins as _pins
import pytest_tower.checks.ruff.rules as _ruff_rules
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
from pytest_tower.core.runner import ToolGroup, ToolRun

INSTALL = _pins.install_hint("ruff") + " (pytest-tower installs it), or set executable"
IO_ERROR = "E902"
MAX_NAMED = 2000  # files named on one command line (the noqa lint); more: the paths


def run(ctx: CheckContext) -> Measurement:
    exe = ctx.options["executable"]
    paths = ctx.options["paths"]
    missing = [p for p in paths if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(
            f"nothing to lint at {', '.join(map(repr, missing))}: no such path under {ctx.root}",
            fix=f"fix `paths` in {table_label(ctx.check_id)}",
        )
    new = newcode.for_check(ctx) if ctx.options["base"] else None
    rules: list[str] = []
    if ctx.options["select"]:
        rules += ["--select", ",".join(ctx.options["select"])]
    if ctx.options["ignore"]:
        rules += ["--ignore", ",".join(ctx.options["ignore"])]
    lint = [exe, "check", "--output-format", "json", "--no-fix", *rules]
    shown = [exe, "check", "--show-settings", *rules, "--"]
    # Leaving `group` (first) stops the tools still running, so an interrupt or an
    # error found early never waits for the pool's threads.
    with ThreadPoolExecutor(max_workers=4) as pool, ToolGroup() as group:
        # The questions that do not depend on each other go at once; their answers are
        # read in this order, so the first problem found is the one reported.
        def call(argv: list[str], ok: tuple[int, ...] = (0,)) -> Future[ToolRun]:
            return pool.submit(ctx.run, argv, ok_codes=ok, tool="ruff", fix=INSTALL,
                               group=group)

        asked_version = call([exe, "--version"])
        asked_files = call([exe, "check", "--show-files", "--", *paths])
        # the settings of the first file ruff finds: usually the one config of them all
        asked_settings = call([*shown, *paths], (0, 1, 2))
        asked_lint = call([*lint, "--", *paths], (0, 1))
        said = asked_version.result()  # first: an old ruff lints with other default rules
        version = _pins.check("ruff", "ruff", said.stdout, command=said.argv,
                              executable=said.argv[0])
        files = asked_files.result()
        linted = [line.strip() for line in files.stdout.splitlines() if line.strip()]
        settings = _settings(ctx, shown, linted, asked_settings.result())
        if any(s.lint_exclude for s in settings.values()):
            listed = len(linted)
            linted = _really_linted(ctx, exe, paths, linted)
            if not any(Path(line).suffix in _ruff_rules.SOURCES for line in linted):
                raise ToolError(
                    f"ruff lints none of the {listed} file(s) it lists under "
                    f"{', '.join(paths)}: the project's [tool.ruff.lint] exclude (the "
                    "lint-only exclude) keeps them all from the linter, so nothing was "
                    "checked", command=files.argv,
                    fix="narrow [tool.ruff.lint] exclude, or point `paths` at the sources")
        if not any(Path(line).suffix in _ruff_rules.SOURCES for line in linted):
            raise ToolError(
                f"ruff found no Python files to lint under {', '.join(paths)}: nothing was "
                "checked", command=files.argv, stderr=files.stderr,
                fix="point `paths` at your sources, or check ruff's exclude/extend-exclude "
                "and [tool.ruff.lint] exclude settings")
        # The same lint ignoring every noqa comment, over the files that have one: what
        # the comments hide (a file without one hides nothing).
        hiding = [line for line in linted if Path(line).suffix in _ruff_rules.SOURCES
                  and _ruff_rules.may_suppress(ctx.root / line)]
        if len(hiding) > MAX_NAMED:
            hiding = paths  # a command line that long may not fit: lint them all again
        asked_raw = (call([*lint, "--ignore-noqa", "--force-exclude", "--", *hiding], (0, 1))
                     if hiding else None)
        result = asked_lint.result()
        raw = asked_raw.result() if asked_raw is not None else None
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
    fewest, bare = _rule_coverage(shown, settings, linted)
    measurement = _measure(diagnostics, len(linted), ctx.root, version, new)
    measurement.metrics["rules"] = fewest
    hidden = (_suppressed(_parse(raw.stdout, raw.argv, raw.stderr), diagnostics)
              if raw is not None else 0)
    measurement.metrics["suppressed"] = hidden
    if hidden > 0:
        measurement.notes.append(f"{hidden} violation(s) suppressed by `# noqa` comments and "
                                 "not counted (`suppressed` metric; `ruff check --ignore-noqa` "
                                 "shows them)")
    skipped = _not_linted(ctx.root, paths, linted)
    measurement.metrics["not_linted"] = len(skipped)
    if skipped:
        measurement.notes.append(
            f"ruff did not lint {len(skipped)} Python file(s) under `paths` (the project's ruff "
            "exclude / extend-exclude / lint.exclude, or .gitignore): " + ", ".join(skipped[:5])
            + (" ..." if len(skipped) > 5 else ""))
    if bare:
        measurement.notes.append(
            f"{len(bare)} linted file(s) get no ruff rule at all (per-file-ignores or a "
            "blanket `# ruff: noqa`): " + ", ".join(relative(str(p), ctx.root) for p in bare[:5])
            + (" ..." if len(bare) > 5 else ""))
    return measurement


def _settings(ctx: CheckContext, shown: list[str], listed: list[str],
              first: ToolRun) -> dict[Path | None, _ruff_rules.Settings]:
    """The resolved settings of each ruff config over the listed files; the answer for
    the first file ruff found is reused for its config (usually the only one)."""
    cache: dict[Path, Path | None] = {}
    resolved = _ruff_rules.resolved_for(first.stdout) if first.returncode == 0 else None
    where = _ruff_rules.config_dir(resolved, cache) if resolved is not None else None

    def show(path: Path) -> str:
        if resolved is not None and _ruff_rules.config_dir(path, cache) == where:
            return first.stdout
        return ctx.run([*shown, str(path)], tool="ruff", fix=INSTALL).stdout

    return _ruff_rules.settings_by_config([Path(line) for line in listed], show, shown)


# Folders ruff leaves out by default (its `exclude` setting's default): not worth a note.
_DEFAULT_EXCLUDED = {".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg",
                     ".ipynb_checkpoints", ".mypy_cache", ".nox", ".pants.d", ".pyenv",
                     ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
                     ".vscode", "__pypackages__", "_build", "buck-out", "dist", "node_modules",
                     "site-packages", "venv"}


PROBE = ["--select", "CPY001", "--preview", "--config",
         'lint.flake8-copyright.notice-rgx = "a^"', "--config", "lint.per-file-ignores = {}",
         "--ignore-noqa", "--exit-zero", "--no-fix", "--output-format", "json"]
"""A lint whose one rule fires on every file ruff lints (a copyright notice that can never
match), per-file-ignores and noqa off: which files ruff really lints. `--show-files` also
lists the files `[tool.ruff.lint] exclude` keeps from the linter."""


def _really_linted(ctx: CheckContext, exe: str, paths: list[str],
                   listed: list[str]) -> list[str]:
    """The files of `--show-files` that ruff lints (ask ruff: the probe lint)."""
    probe = ctx.run([exe, "check", *PROBE, "--", *paths], tool="ruff", fix=INSTALL)
    hits = {os.path.realpath(ctx.root / str(d.get("filename")))
            for d in _parse(probe.stdout, probe.argv, probe.stderr)
            if d.get("code") == "CPY001"}
    missed = [line for line in listed if Path(line.strip()).suffix in (".py", ".pyi")
              and os.path.realpath(ctx.root / line.strip()) not in hits]
    # `extend-per-file-ignores` cannot be switched off from the command line: a file it
    # exempts from the probe rule proves nothing either way (per-file rules are judged
    # apart, by _rule_coverage), so it stays counted as linted.
    argv = [exe, "check", "--show-settings", "--preview", "--select", "CPY001", "--"]
    cache: dict[Path, Path | None] = {}
    settings: dict[Path | None, _ruff_rules.Settings | None] = {}
    excluded: set[str] = set()
    for line in missed:
        path = Path(line.strip())
        where = _ruff_rules.config_dir(path, cache)
        if where not in settings:
            shown = ctx.run([*argv, str(path)], tool="ruff", fix=INSTALL)
            settings[where] = _ruff_rules.parse_settings(shown.stdout)
        found = settings[where]
        if found is not None and found.rules_for(path) > 0:
            excluded.add(line)
    return [line for line in listed if line not in excluded]


def _suppressed(raw: list[dict[str, Any]], counted: list[dict[str, Any]]) -> int:
    """Violations the lint with --ignore-noqa found that the counted lint did not (RUF100
    "unused noqa" only exists in the counted one, so a plain difference would be off)."""
    def keys(ds: list[dict[str, Any]]) -> Counter[tuple[str, str, int | None, int | None]]:
        return Counter((str(d.get("filename")), _code(d), _row(d, "location"),
                        (d.get("location") or {}).get("column")) for d in ds)
    return sum((keys(raw) - keys(counted)).values())


def _not_linted(root: Path, paths: list[str], linted: list[str]) -> list[str]:
    """Python files under `paths` that ruff did not lint, outside its default excludes."""
    seen = {os.path.realpath(root / line.strip()) for line in linted}
    left: list[str] = []
    for given in paths:
        target = root / given
        if target.is_file():
            candidates = [target] if target.suffix in _ruff_rules.SOURCES else []
        else:
            candidates = []
            for folder, dirs, names in os.walk(target):
                dirs[:] = sorted(d for d in dirs if d not in _DEFAULT_EXCLUDED)
                candidates += [Path(folder) / n for n in sorted(names)
                               if Path(n).suffix in (".py", ".pyi")]
        left += [relative(str(p), root) for p in candidates
                 if os.path.realpath(p) not in seen]
    return sorted(set(left))


def _rule_coverage(shown: list[str], settings: Mapping[Path | None, _ruff_rules.Settings],
                   linted: list[str]) -> tuple[int, list[Path]]:
    """Fewest rules a linted file gets; an error when no file gets any (nothing was checked)."""
    files = [Path(line) for line in linted]
    fewest, bare = _ruff_rules.unchecked_files(files, settings)
    sources = [p for p in files if p.suffix in _ruff_rules.SOURCES]
    if sources and len(bare) == len(sources):
        raise ToolError(
            f"ruff has no rule enabled for any of the {len(sources)} linted file(s): nothing "
            "was checked (the project's ruff config selects no rule, ignores them all, or "
            "per-file-ignores / `# ruff: noqa` exempt every file)",
            command=[*shown, str(sources[0])],
            fix="enable rules in the project's ruff config ([tool.ruff.lint] select), or set "
            "`select` in the check",
        )
    return fewest, bare


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
            fix="make sure `executable` is a supported ruff (" + INSTALL.split(" (")[0]
            + ") and no wrapper prints to stdout",
        )
    return data


def _measure(diagnostics: list[dict[str, Any]], files: int, root: Path,
             version: str, new: newcode.NewCode | None = None) -> Measurement:
    codes = Counter(_code(d) for d in diagnostics)
    fixable = sum(1 for d in diagnostics if (d.get("fix") or {}).get("applicability") == "safe")
    metrics: dict[str, float] = {"violations": len(diagnostics), "fixable": fixable,
                                 "files": files}
    metrics.update({f"violations[{code}]": n for code, n in codes.items()})
    fresh = [new is not None and _is_new(d, new) for d in diagnostics]
    rows = sorted(((not is_new, _finding(d, root)) for d, is_new in
                   zip(diagnostics, fresh, strict=True)),
                  key=lambda t: (t[0], t[1].path, t[1].line or 0, t[1].col or 0, t[1].code))
    findings = [f if old else newcode.mark(f) for old, f in rows]
    measurement = Measurement(metrics, findings, tool=version)
    if new is not None:
        metrics.update(newcode.count("new_violations", (
            _code(d) for d, is_new in zip(diagnostics, fresh, strict=True) if is_new)))
        measurement.notes.append(new.note(f"{sum(fresh)} of {len(diagnostics)} violations "
                                          "on changed lines"))
    return measurement


def _is_new(d: dict[str, Any], new: newcode.NewCode) -> bool:
    """Is any line of the violation's range changed since `base`? In a notebook, whose
    rows count lines of a cell, any change to the notebook makes it new."""
    if d.get("cell") is not None:
        return bool(new.lines.get(new.path(d["filename"])))
    first, last = _row(d, "location"), _row(d, "end_location")
    if first is not None and last is not None and last > first and (
            (d.get("end_location") or {}).get("column") == 1):
        last -= 1  # the range ends at the start of a line: that line is not in it
    return new.touches(d["filename"], first, last)


def _finding(d: dict[str, Any], root: Path) -> Finding:
    return Finding(path=relative(d["filename"], root), line=_row(d, "location"),
                   col=(d.get("location") or {}).get("column"), code=_code(d),
                   message=d["message"])


def _row(diagnostic: dict[str, Any], where: str) -> int | None:
    return (diagnostic.get(where) or {}).get("row")


def _code(diagnostic: dict[str, Any]) -> str:
    return diagnostic.get("code") or diagnostic.get("name") or "invalid-syntax"


def validate(options: Mapping[str, Any]) -> None:
    """`base` for new_violations; every `violations[CODE]` key a code this ruff knows."""
    newcode.validate(options, ["new_violations"])
    _ruff_rules.check_condition_keys(options, Path(options.get("gates_dir") or Path.cwd()))


CHECK_TYPE = CheckType(
    name="ruff",
    run=run,
    findings=FindingsStyle(tool="ruff", information_uri="https://docs.astral.sh/ruff/"),
    charted=["violations"],
    install=INSTALL,
    help="Lint with ruff: one run over all paths, the project's own ruff configuration.",
    metrics=[
        MetricSpec("violations", help="violations found; violations[F401] counts one rule "
                   "(an exact code ruff knows: a typo is a config error); syntax errors "
                   "count as violations[invalid-syntax], whatever rules are enabled",
                   keyed=True, key_default=0),
        MetricSpec("fixable", help="violations ruff can fix safely (ruff check --fix)"),
        MetricSpec("files", help="Python files ruff linted"),
        MetricSpec("rules", help="rules ruff applies, for the linted file that gets the fewest "
                   "(after per-file-ignores); no rule for any file is an error"),
        MetricSpec("suppressed", help="violations hidden by `# noqa` comments (a second "
                   "lint with --ignore-noqa, run alongside); noted when not 0"),
        MetricSpec("not_linted", help="Python files under `paths` that ruff did not lint "
                   "(the project's exclude/extend-exclude, .gitignore); noted when not 0"),
        MetricSpec("new_violations", help="violations on lines changed since `base` (needs "
                   "base); new_violations[F401] counts one rule", keyed=True, key_default=0),
    ],
    options={
        "paths": Option("str_list", "files and folders to lint, relative to gates.toml",
                        default=["."]),
        "select": Option("str_list", "rule codes or prefixes to enable instead of the "
                         "project's configuration", default=[]),
        "ignore": Option("str_list", "rule codes or prefixes to ignore", default=[]),
        "executable": Option("str", "the ruff binary to run", default="ruff"),
        "base": Option("str", newcode.BASE_HELP, default=""),
    },
    default_conditions=["violations == 0"],
    validate=validate,
    default_timeout=120.0,
)
