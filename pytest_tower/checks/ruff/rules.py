"""What ruff really checks: the rules each linted file gets, and the codes ruff knows.

Why: a ruff run with no rule enabled (`select = []`, `ignore = ["ALL"]`, a
per-file-ignores of everything, a blanket `# ruff: noqa`) exits 0 with no
violation, and a condition on a code ruff does not know (`violations[F4O1]`)
reads 0 forever. Both look like a clean pass; both measured nothing.

Long because ruff's rule selection (select, extend, ignore, per-file-ignores,
noqa) is re-derived here per file, from ruff's own --show-settings.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_tower.checks.pins as _pins
from pytest_tower.core.model import ToolError
from pytest_tower.core.runner import find_executable
from pytest_tower.core.suggest import did_you_mean

SYNTAX_KEY = "invalid-syntax"
"""ruff >= 0.8 reports a syntax error under this key (E999 was removed), rules or not."""
IO_KEY = "E902"
CONFIG_FILES = (".ruff.toml", "ruff.toml")
SOURCES = (".py", ".pyi", ".ipynb")
"""What ruff lints as code; it also lists pyproject.toml (for RUF200), which is not."""
_RULE_LINE = re.compile(r"^\t(?P<name>[a-z0-9-]+)(?: \((?P<code>[A-Z]+[0-9]+)\))?,$")
_BLANKET_NOQA = re.compile(r"^[ \t]*#[ \t]*(?:ruff|flake8)[ \t]*:[ \t]*noqa[ \t]*$",
                           re.IGNORECASE | re.MULTILINE)
_KEYED = re.compile(r"^\s*(?:new_)?violations\[(?P<key>[^\]]*)\]")


@dataclass(frozen=True)
class _Ignore:
    """One per-file-ignores entry as ruff resolved it."""

    absolute: str
    basename: str
    negated: bool
    rules: frozenset[str]

    def applies(self, path: Path) -> bool:
        hit = (any(fnmatch.fnmatchcase(str(path), g) for g in _globs(self.absolute))
               or any(fnmatch.fnmatchcase(path.name, g) for g in _globs(self.basename)))
        return hit != self.negated


@functools.lru_cache(maxsize=256)
def _globs(pattern: str) -> tuple[str, ...]:
    """A globset pattern (what ruff matches per-file-ignores with) as fnmatch patterns:
    `{a,b}` alternation expanded, `\\x` escapes and `[^...]` classes rewritten."""
    out: list[str] = []
    for alt in _expand_braces(pattern):
        text, i = "", 0
        while i < len(alt):
            ch = alt[i]
            if ch == "\\" and i + 1 < len(alt):
                nxt = alt[i + 1]
                text += "[[]" if nxt == "[" else f"[{nxt}]"
                i += 2
                continue
            if ch == "[" and alt[i + 1:i + 2] == "^":
                text += "[!"
                i += 2
                continue
            text += ch
            i += 1
        out.append(text)
    return tuple(out)


def _expand_braces(pattern: str) -> list[str]:
    """`src/{a,b{c,d}}/*` -> src/a/*, src/bc/*, src/bd/* (globset's alternation)."""
    depth, start = 0, -1
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                head, body, tail = pattern[:start], pattern[start + 1:i], pattern[i + 1:]
                return [head + alt + rest for alt in _split_top(body)
                        for rest in _expand_braces(tail)]
        i += 1
    return [pattern]


def _split_top(body: str) -> list[str]:
    """The alternatives of one `{...}` body (commas at its top level), each expanded."""
    parts, depth, current, i = [], 0, "", 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            current += body[i:i + 2]
            i += 2
            continue
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            depth += (ch == "{") - (ch == "}")
            current += ch
        i += 1
    parts.append(current)
    return [alt for part in parts for alt in _expand_braces(part)]


@dataclass(frozen=True)
class Settings:
    """The enabled rules (by name) and per-file-ignores of one resolved ruff config."""

    enabled: frozenset[str]
    ignores: tuple[_Ignore, ...]
    keys: Mapping[str, str] = field(default_factory=dict)
    """Rule name -> the key the JSON report counts it under (its code, else its name)."""
    lint_exclude: bool = True
    """May `[tool.ruff.lint] exclude` keep listed files from the linter? False only when
    ruff showed `linter.exclude = []`: then every file --show-files lists is linted."""

    def names_for(self, path: Path) -> frozenset[str]:
        ignored: set[str] = set()
        for entry in self.ignores:
            if entry.applies(path):
                ignored |= entry.rules
        return self.enabled - ignored

    def rules_for(self, path: Path) -> int:
        return len(self.names_for(path))

    def keys_for(self, path: Path) -> set[str]:
        return {self.keys.get(name, name) for name in self.names_for(path)}


def parse_settings(text: str) -> Settings | None:
    """Read `ruff check --show-settings`; None when it does not list the enabled rules."""
    lines = text.splitlines()
    enabled: set[str] | None = None
    ignores: list[_Ignore] = []
    keys: dict[str, str] = {}
    lint_exclude = "linter.exclude = []" not in lines
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "linter.rules.enabled = []":
            enabled = set()
        elif line == "linter.rules.enabled = [":
            for match in map(_RULE_LINE.match, lines[i + 1:]):
                if match is None:
                    break
                keys[match["name"]] = match["code"] or match["name"]
            names, i = _rule_block(lines, i + 1)
            enabled = set(names)
        elif line == "linter.per_file_ignores = {":
            i = _ignore_block(lines, i + 1, ignores)
        i += 1
    return None if enabled is None else Settings(frozenset(enabled), tuple(ignores), keys,
                                                 lint_exclude)


def resolved_for(text: str) -> Path | None:
    """The file a `ruff check --show-settings` output was resolved for."""
    first = text.split("\n", 1)[0]
    prefix = "Resolved settings for: "
    if not first.startswith(prefix):
        return None
    name = first[len(prefix):].strip()
    return Path(name[1:-1] if name[:1] == name[-1:] == '"' else name)


def enabled_keys(text: str) -> set[str] | None:
    """The keys the JSON report would use for the enabled rules (code, else name)."""
    settings = parse_settings(text)
    return None if settings is None else {settings.keys.get(n, n) for n in settings.enabled}


def _rule_block(lines: list[str], i: int) -> tuple[list[str], int]:
    names: list[str] = []
    while i < len(lines) and lines[i] != "]":
        match = _RULE_LINE.match(lines[i])
        if match:
            names.append(match["name"])
        i += 1
    return names, i


def _ignore_block(lines: list[str], i: int, out: list[_Ignore]) -> int:
    fields: dict[str, str] = {}
    while i < len(lines) and lines[i] != "}":
        key, sep, value = lines[i].strip().partition(" = ")
        if sep and key in ("absolute_matcher", "basename_matcher", "negated"):
            fields[key] = value.strip('"')
        elif key == "data = [" or (sep and key == "data" and value == "["):
            names, i = _rule_block(lines, i + 1)
            out.append(_Ignore(fields.get("absolute_matcher", ""),
                               fields.get("basename_matcher", ""),
                               fields.get("negated") == "true", frozenset(names)))
            fields = {}
        i += 1
    return i


def config_dir(path: Path, cache: dict[Path, Path | None]) -> Path | None:
    """The folder of the ruff config that governs `path` (ruff takes the closest one)."""
    for folder in path.parents:
        if folder not in cache:
            cache[folder] = folder if _has_config(folder) else None
        if cache[folder] is not None:
            return folder
    return None


def _has_config(folder: Path) -> bool:
    if any((folder / name).is_file() for name in CONFIG_FILES):
        return True
    try:
        return "[tool.ruff" in (folder / "pyproject.toml").read_text(errors="replace")
    except OSError:
        return False


def blanket_noqa(path: Path) -> bool:
    """Does the file exempt itself from every rule (`# ruff: noqa`, `# flake8: noqa`)?"""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if b"noqa" not in data.lower():
        return False  # the common case, without decoding the file (ruff: any case, NoQA)
    return _BLANKET_NOQA.search(data.decode(errors="replace")) is not None


def by_config(files: Iterable[Path]) -> dict[Path | None, list[Path]]:
    """The source files grouped by the folder of the ruff config that governs them."""
    cache: dict[Path, Path | None] = {}
    groups: dict[Path | None, list[Path]] = {}
    for path in files:
        if path.suffix in SOURCES:
            groups.setdefault(config_dir(path, cache), []).append(path)
    return groups


def settings_by_config(files: Sequence[Path], show_settings: Callable[[Path], str],
                       argv: Sequence[str]) -> dict[Path | None, Settings]:
    """The resolved settings of each config that governs a source file: one
    `ruff check --show-settings` per distinct config (usually one call)."""
    found: dict[Path | None, Settings] = {}
    for where, members in by_config(files).items():
        settings = parse_settings(show_settings(members[0]))
        if settings is None:
            raise ToolError("ruff --show-settings did not list the enabled rules: cannot "
                            "tell whether anything was checked", command=argv,
                            fix="make sure `executable` is a supported ruff ("
                            + _pins.install_hint("ruff") + ")")
        found[where] = settings
    return found


def unchecked_files(files: Sequence[Path], settings: Mapping[Path | None, Settings]
                    ) -> tuple[int, list[Path]]:
    """(fewest rules any source file gets, the files that get none)."""
    fewest: int | None = None
    bare: list[Path] = []
    for where, members in by_config(files).items():
        for path in members:
            count = 0 if blanket_noqa(path) else settings[where].rules_for(path)
            fewest = count if fewest is None else min(fewest, count)
            if count == 0:
                bare.append(path)
    return fewest or 0, bare


_SUPPRESSION = re.compile(rb"noqa|#\s*ruff\s*:", re.IGNORECASE)


def may_suppress(path: Path) -> bool:
    """Could the file hide a violation from ruff (`# noqa`, `# ruff: noqa`, `# ruff:
    disable[...]` ranges)? A superset of what ruff reads: only such files need the lint
    with --ignore-noqa. A notebook (JSON can spell `#` as an escape) or an unreadable
    file always may."""
    if path.suffix == ".ipynb":
        return True
    try:
        return _SUPPRESSION.search(path.read_bytes()) is not None
    except OSError:
        return True


def condition_keys(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(option key, rule key) for each `violations[...]`/`new_violations[...]` condition."""
    found: list[tuple[str, str]] = []
    for option in ("conditions", "warn"):
        for expr in options.get(option) or []:
            match = _KEYED.match(str(expr))
            if match:
                found.append((option, match["key"].strip()))
    return found


def known_rules(executable: str, cwd: Path) -> tuple[set[str], dict[str, str]] | None:
    """(keys ruff can report, other key -> why not) from `ruff rule --all`; None if unknown.

    "Other" keys are removed codes and rule names (the JSON report counts codes).

    A ruff that cannot list its rules here fails at run time with its own message.
    """
    exe = find_executable(executable, cwd)
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "rule", "--all", "--output-format", "json"], cwd=cwd,
                             capture_output=True, text=True, timeout=30, check=False)
        rules = json.loads(out.stdout) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(rules, list):
        return None
    return _split_rules(r for r in rules if isinstance(r, dict))


def _split_rules(rules: Iterable[dict[str, Any]]) -> tuple[set[str], dict[str, str]]:
    known: set[str] = {SYNTAX_KEY, IO_KEY}
    other: dict[str, str] = {}
    for rule in rules:
        key = rule.get("code") or rule.get("name")
        if not isinstance(key, str):
            continue
        status = rule.get("status")
        if isinstance(status, dict) and "Removed" in status:
            since = (status.get("Removed") or {}).get("since", "?")
            other[key] = f"ruff removed {key} in {since}"
        else:
            known.add(key)
            name = rule.get("name")
            if isinstance(name, str) and name != key:
                other[name] = f"{name!r} is the name of rule {key}, counted as violations[{key}]"
    return known, other


def _ruff_call(options: Mapping[str, Any], cwd: Path) -> tuple[str, list[str], list[str]] | None:
    """(ruff, the check's paths, its --select/--ignore args) for a config-time question;
    None when it cannot be asked here (no ruff, a path not found from this directory)."""
    exe = find_executable(str(options.get("executable") or "ruff"), cwd)
    paths = [str(p) for p in options.get("paths") or ["."]]
    if exe is None or not all((cwd / p).exists() for p in paths):
        return None
    rules: list[str] = []
    if options.get("select"):
        rules += ["--select", ",".join(options["select"])]
    if options.get("ignore"):
        rules += ["--ignore", ",".join(options["ignore"])]
    return str(exe), paths, rules


def _enabled_anywhere(options: Mapping[str, Any], cwd: Path) -> set[str] | None:
    """Rule keys enabled for any of `paths` (`ruff check --show-settings`, one per path).

    None when that cannot be told here (a path not found from this directory, a ruff
    that does not answer): the run itself still fails closed.
    """
    setup = _ruff_call(options, cwd)
    if setup is None:
        return None
    exe, paths, rules = setup
    found: set[str] = set()
    for path in paths:
        try:
            out = subprocess.run([exe, "check", "--show-settings", *rules, "--", path], cwd=cwd,
                                 capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        keys = enabled_keys(out.stdout) if out.returncode == 0 else None
        if keys is None:
            return None
        found |= keys
    return found


def _linted_keys(options: Mapping[str, Any], cwd: Path) -> tuple[set[str], int] | None:
    """(rule keys some linted file gets after per-file-ignores and blanket noqa, how many
    linted source files): what ruff itself lists (--show-files) and resolves per config
    (--show-settings). None when that cannot be told here."""
    setup = _ruff_call(options, cwd)
    if setup is None:
        return None
    exe, paths, rules = setup
    try:
        out = subprocess.run([exe, "check", "--show-files", "--", *paths], cwd=cwd,
                             capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    files = [Path(line.strip()) for line in out.stdout.splitlines() if line.strip()]
    sources = [f for f in files if f.suffix in SOURCES]
    if out.returncode != 0 or not sources:
        return None
    found: set[str] = set()
    for members in by_config(sources).values():
        try:
            shown = subprocess.run([exe, "check", "--show-settings", *rules, "--",
                                    str(members[0])], cwd=cwd, capture_output=True,
                                   text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        settings = parse_settings(shown.stdout) if shown.returncode == 0 else None
        if settings is None:
            return None
        for path in members:
            if not blanket_noqa(path):
                found |= settings.keys_for(path)
    return found, len(sources)


def _closest(key: str, known: set[str]) -> str | None:
    """A likely intended code: O for 0 and I/l for 1 first, then the same linter prefix."""
    typo = key.upper().replace("O", "0").replace("I", "1").replace("L", "1")
    prefix = re.match(r"[A-Z]*", key.upper())
    for code in known:
        if code.upper().replace("O", "0").replace("I", "1").replace("L", "1") == typo:
            return code
    same = [c for c in known if prefix and prefix[0] and re.match(prefix[0] + r"[0-9]", c)]
    return did_you_mean(key, same) or did_you_mean(key, known)


def check_condition_keys(options: Mapping[str, Any], cwd: Path) -> None:
    """Raise ValueError for a condition on a rule code this ruff does not know."""
    keys = condition_keys(options)
    if not keys:
        return
    rules = known_rules(str(options.get("executable") or "ruff"), cwd)
    if rules is None:
        return
    known, removed = rules
    enabled = _enabled_anywhere(options, cwd)
    per_file: tuple[set[str], int] | None = None
    for option, key in keys:
        if key in known:
            if key in (SYNTAX_KEY, IO_KEY):
                continue
            if enabled is not None and key not in enabled:
                raise ValueError(
                    f"{option}: violations[{key}]: rule {key} is not enabled in the ruff "
                    f"configuration for {', '.join(options.get('paths') or ['.'])}, so the "
                    "condition could only ever measure 0; enable it (`select` in the check, "
                    "or the project's ruff config) or remove the condition")
            if enabled is not None:
                per_file = per_file or _linted_keys(options, cwd)
                if per_file is not None and key not in per_file[0]:
                    raise ValueError(
                        f"{option}: violations[{key}]: rule {key} is enabled, but the "
                        "project's per-file-ignores (or `# ruff: noqa` comments) drop it for "
                        f"every one of the {per_file[1]} file(s) ruff lints under "
                        f"{', '.join(options.get('paths') or ['.'])}, so the condition could "
                        "only ever measure 0; narrow the per-file-ignores or remove the "
                        "condition")
            continue
        why = removed.get(key, f"ruff has no rule {key!r}")
        named = re.search(r"counted as violations\[(.+)\]$", why)
        hint = SYNTAX_KEY if key == "E999" else named[1] if named else _closest(key, known)
        raise ValueError(
            f"{option}: violations[{key}]: {why}, so the condition could only ever measure 0"
            + (f"; did you mean {hint!r}?" if hint else "")
            + " (keys are exact rule codes as `ruff rule --all` lists them; syntax errors "
            f"are {SYNTAX_KEY!r})")
