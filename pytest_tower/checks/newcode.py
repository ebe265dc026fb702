"""New code ("clean as you code"): the lines changed since a git base.

A check with `base = "origin/main"` also measures only what changed since the
merge base of that ref and HEAD, the way diff-cover does: the working tree is
compared with the merge base, so committed, staged and unstaged changes all
count, and so do untracked files that git does not ignore (every line of them:
a new module not yet `git add`ed is new code too). Deleted lines and files,
pure renames (`git mv`) and binary files (a NUL byte in bytes that are not
UTF-8 text) change no line; a `-diff` or `binary` attribute in .gitattributes
does not make a text file binary here (git diff --text). Paths are relative to
the check's root, which is where git runs; changes outside it do not count.

Git runs through the check's `run` (timeout, fail-closed): no repository, an
unknown ref or no common history is a ToolError that says how to fix it.
"""

from __future__ import annotations

import codecs
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tower.core.model import CheckContext, Finding, Measurement, ToolError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_METRIC = re.compile(r"^\s*([A-Za-z_]\w*)")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
BASE_HELP = ("a git ref, e.g. \"origin/main\": also measure the lines changed since its "
             "merge base with HEAD (new_* metrics; uncommitted and untracked files count)")
GIT = "install git, or remove `base` from the check"
Run = Callable[..., Any]  # CheckContext.run


def changed_lines(root: Path, base: str, run: Run) -> dict[str, set[int]]:
    """{posix path relative to root: new-side line numbers changed since base}."""
    return _diff(root, base, run)[1]


@dataclass(frozen=True)
class NewCode:
    """The changed lines of one check's run, and what they were measured against."""

    base: str
    merge_base: str
    lines: Mapping[str, set[int]]
    root: Path

    def path(self, filename: str) -> str:
        """A tool's file name (absolute, or relative to root) as a key of `lines`."""
        path = Path(os.path.normpath(filename))
        if not path.is_absolute():
            return path.as_posix()
        if path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        real, root = path.resolve(), self.root.resolve()  # a symlinked root or tmp dir
        return real.relative_to(root).as_posix() if real.is_relative_to(root) else filename

    def touches(self, filename: str, first: int | None, last: int | None = None) -> bool:
        """Did any line first..last of the file change? (A finding there is new.)"""
        changed = self.lines.get(self.path(filename))
        if not changed or first is None:
            return False
        return any(n in changed for n in range(first, max(first, last or first) + 1))

    def note(self, what: str) -> str:
        total = sum(len(v) for v in self.lines.values())
        return (f"new code: {what}; {total} line(s) in {len(self.lines)} file(s) changed "
                f"since {self.merge_base[:12]}, the merge base of {self.base} and HEAD "
                "(uncommitted and untracked files included)")


def for_check(ctx: CheckContext) -> NewCode:
    """The new code of a check whose `base` option is set (git runs in ctx.root)."""
    merge_base, lines = _diff(ctx.root, ctx.options["base"], ctx.run)
    return NewCode(ctx.options["base"], merge_base, lines, ctx.root)


def mark(finding: Finding) -> Finding:
    """The finding, its message saying it is on new code."""
    return Finding(finding.path, finding.line, finding.col, finding.code,
                   f"new: {finding.message}", finding.severity)


def count(name: str, codes: Iterable[str]) -> dict[str, float]:
    """`name` (all new findings) and `name[CODE]` per code."""
    per_code = Counter(codes)
    return {name: sum(per_code.values()),
            **{f"{name}[{code}]": n for code, n in per_code.items()}}


def coverage(data: Mapping[str, Any], new: NewCode) -> Measurement:
    """Coverage of the changed executable lines (executed or missing in coverage.json).

    With no changed executable line, nothing new is uncovered: `new_coverage` is
    100% and `new_lines` 0 (bound `new_lines` to tell that apart), so a change
    to docs, config or tests alone passes a `new_coverage` condition.
    Findings: the files with uncovered changed lines, most uncovered first.
    """
    from pytest_tower.checks.pytest_suite.results import ranges

    total = missed = 0
    rows = []
    for name, info in sorted(data.get("files", {}).items()):
        changed = new.lines.get(new.path(name))
        if not changed:
            continue
        missing = changed & set(info.get("missing_lines", ()))
        executable = missing | (changed & set(info.get("executed_lines", ())))
        total, missed = total + len(executable), missed + len(missing)
        if missing:
            rows.append((-len(missing), new.path(name), len(executable), sorted(missing)))
    findings = [Finding(path, missing[0], code="NEW-COVERAGE", message=(
        f"{executable - len(missing)} of {executable} changed lines covered; not covered: "
        f"{ranges(missing)}")) for _, path, executable, missing in sorted(rows)]
    metrics = {"new_coverage": 100.0 * (total - missed) / total if total else 100.0,
               "new_lines": total, "new_missing": missed}
    return Measurement(metrics, findings, notes=[new.note(
        f"{missed} of {total} changed executable lines not run")])


def validate(options: Mapping[str, Any], metrics: Iterable[str]) -> None:
    """A condition on a new-code metric needs `base`; `base` must be a ref, not an option."""
    base = options.get("base") or ""
    if base.startswith("-") or base != base.strip():
        raise ValueError(f"base = {base!r} is not a git ref; write e.g. base = \"origin/main\"")
    if base:
        return
    wanted = set(metrics)
    for key in ("conditions", "warn"):
        for expr in options.get(key) or ():
            match = _METRIC.match(str(expr))
            if match and match.group(1) in wanted:
                raise ValueError(f"condition {expr!r} measures new code, which needs a git "
                                 "base to compare with: set base = \"origin/main\" (any git "
                                 "ref) in this check")


def _diff(root: Path, base: str, run: Run) -> tuple[str, dict[str, set[int]]]:
    where = run(["git", "rev-parse", "--is-inside-work-tree"], ok_codes=range(256),
                tool="git", fix=GIT)
    if where.returncode != 0 or where.stdout.strip() != "true":
        fix = ("run the gate in a git checkout (in CI, check out with history), or remove "
               "`base` from the check")
        if "safe.directory" in where.stderr:
            fix = f"trust the checkout: git config --global --add safe.directory {root}"
        raise ToolError(f"base = {base!r} compares with git history, but {root} is not in a "
                        "git work tree git can use", command=where.argv, stderr=where.stderr,
                        fix=fix)
    ref = run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
              ok_codes=range(256), tool="git", fix=GIT)
    if ref.returncode != 0:
        raise ToolError(f"base = {base!r} is not a commit in this repository (unknown ref, "
                        "or not fetched)", command=ref.argv, stderr=ref.stderr,
                        fix=_fetch_fix(base, run))
    found = run(["git", "merge-base", ref.stdout.strip(), "HEAD"], ok_codes=range(256),
                tool="git", fix=GIT)
    if found.returncode != 0 or not found.stdout.strip():
        shallow = run(["git", "rev-parse", "--is-shallow-repository"], ok_codes=range(256),
                      tool="git", fix=GIT).stdout.strip() == "true"
        why = " in this shallow clone (its history is cut off)" if shallow else ""
        raise ToolError(f"HEAD and base = {base!r} have no common commit{why}, so nothing "
                        "tells which code is new", command=found.argv, stderr=found.stderr,
                        fix="fetch full history (git fetch --unshallow, or fetch-depth: 0 in "
                        "CI) and make sure HEAD has a commit")
    merge_base = found.stdout.strip()
    # --text: a `-diff`/`binary` attribute must not hide changed source lines
    # ("Binary files differ" has no hunk); what is really binary is dropped below.
    # GIT_DIFF_OPTS=--unified=3 would win over --unified=0: context lines "changed".
    diff = run(["git", "-c", "core.quotePath=false", "diff", "--unified=0", "--no-color",
                "--text", "--inter-hunk-context=0", "--no-ext-diff", "--no-textconv",
                "--find-renames", "--relative",
                "--ignore-submodules=all", "--src-prefix=a/", "--dst-prefix=b/", merge_base,
                "--"], tool="git", fix=GIT,
               env={"GIT_DIFF_OPTS": None, "GIT_EXTERNAL_DIFF": None})
    lines = {name: changed for name, changed in parse_diff(diff.stdout).items()
             if not _binary(root / name)}
    others = run(["git", "ls-files", "-z", "--others", "--exclude-standard"], tool="git",
                 fix=GIT)
    for name in filter(None, others.stdout.split("\0")):
        length = _line_count(root / name)
        if length:
            lines[Path(name).as_posix()] = set(range(1, length + 1))
    return merge_base, lines


def parse_diff(text: str) -> dict[str, set[int]]:
    """`git diff --unified=0` output -> {new path: added or changed line numbers}."""
    lines: dict[str, set[int]] = {}
    path: str | None = None
    header = False
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            path, header = None, True
        elif header and line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))
            path = name[2:] if name.startswith("b/") else None  # None: /dev/null, deleted
        elif line.startswith("@@ "):
            header = False
            match = _HUNK.match(line)
            if match and path is not None:
                start, length = int(match.group(1)), int(match.group(2) or 1)
                if length:
                    lines.setdefault(path, set()).update(range(start, start + length))
    return lines


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of an unusual file name ("a\\"b.py", octal bytes)."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw, body, i = bytearray(), name[1:-1], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            digits = body[i + 1:i + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                raw.append(int(digits, 8))
                i += 4
                continue
            raw.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        raw.extend(char.encode("utf-8"))
        i += 1
    return raw.decode("utf-8", "replace")


def _line_count(path: Path) -> int:
    """Lines of an untracked text file; 0 for binary, unreadable or empty files."""
    data = _head(path, None)
    if _is_binary(data[:8000]):
        return 0
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _binary(path: Path) -> bool:
    return _is_binary(_head(path, 8000))


def _is_binary(head: bytes) -> bool:
    """A NUL byte in what is not UTF-8 text (an image, a wheel): no tool reports lines there.

    Git's own test is the NUL byte alone, but ruff and bandit read a .py file
    with a NUL in a comment, so such a file keeps its changed lines.
    """
    if b"\0" not in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _head(path: Path, size: int | None) -> bytes:
    try:
        if not path.is_file():
            return b""
        with path.open("rb") as handle:
            return handle.read(-1 if size is None else size)
    except OSError:
        return b""


def _fetch_fix(base: str, run: Run) -> str:
    remote, _, branch = base.partition("/")
    remotes = run(["git", "remote"], ok_codes=range(256), tool="git", fix=GIT).stdout.split()
    fetch = (f"fetch the base: git fetch {remote} {branch} (in CI, check out with "
             "fetch-depth: 0), or fix `base`")
    if branch and remote in remotes:
        return fetch
    if branch and "/" not in remote and not base.startswith("refs/"):
        return f"no git remote {remote!r} is set up here: add it (git remote add) and {fetch}"
    return f"fetch or create {base!r} (git fetch), or fix `base`"
