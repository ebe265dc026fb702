"""Required-files gate: LICENSE, README, SECURITY… must exist in the project.

A pattern may be a glob ("LICENSE*"); it is satisfied only by a regular,
readable file inside the project that holds more than whitespace (a symlink
to one in the project counts). A directory named LICENSE, an empty or blank
file, a dangling symlink, a symlink out of the project (a wheel or sdist would
not ship its target), a FIFO or an unreadable file is missing, with the
reason: an empty LICENSE grants nothing. A very short file ("TODO") passes
with a note: what is real content is the project's call, not a heuristic's.
"""

from __future__ import annotations

import codecs
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_tower.core.fs import relative
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
)


def run(ctx: CheckContext) -> Measurement:
    findings: list[Finding] = []
    notes: list[str] = []
    present = 0
    for pattern in ctx.options["required"]:
        problem = _problem(ctx.root, pattern)
        if problem:
            findings.append(Finding(path=pattern, code="missing", message=problem))
        else:
            present += 1
            notes += _short(ctx.root, pattern)
    return Measurement({"missing": len(findings), "present": present}, findings,
                       tool="files", notes=notes)


SHORT_TEXT = 16
"""A required file with fewer meaningful characters than this gets a note (not a
failure: what counts as real content is the project's call)."""


def _short(root: Path, pattern: str) -> list[str]:
    """A note for a present file so short it may be a placeholder ("TODO")."""
    matches = sorted(root.glob(pattern)) if _is_glob(pattern) else [root / pattern]
    for match in matches:
        if _unusable(match, root):
            continue
        try:
            with match.open("rb") as handle:
                text = handle.read(SHORT_TEXT * 4).strip()
        except OSError:
            continue
        if len(text) < SHORT_TEXT:
            return [f"{relative(match, root)} holds only {text.decode(errors='replace')!r}: "
                    "is it a placeholder?"]
        return []
    return []


def _problem(root: Path, pattern: str) -> str:
    """Why `pattern` is not satisfied under root; '' when it is."""
    matches = sorted(root.glob(pattern)) if _is_glob(pattern) else [root / pattern]
    reasons = [(m, _unusable(m, root)) for m in matches]
    if any(not why for _, why in reasons):
        return ""
    found = [(m, why) for m, why in reasons if why != NOT_FOUND]
    if not found:
        return f"no file matches under {root}" if _is_glob(pattern) else f"not found in {root}"
    if not _is_glob(pattern):
        return found[0][1]
    return "no usable match: " + "; ".join(f"{relative(m, root)} {why}" for m, why in found[:5])


NOT_FOUND = "not found"
BLANK_CHECK_BYTES = 65536


def _unusable(path: Path, root: Path) -> str:
    """Why `path` is not a regular, readable file with content inside the project;
    '' when it is one."""
    try:
        link = path.is_symlink()
        info = path.stat()
        target = path.resolve()
    except FileNotFoundError:
        return "is a dangling symlink (its target does not exist)" if link else NOT_FOUND
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file (to require a folder, require a file in it: docs/*.md)"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if not target.is_relative_to(root.resolve()):
        return (f"resolves to {target}, outside the project (a symlink out of it): the "
                "project's wheel or sdist would not ship it")
    if info.st_size == 0:
        return "is empty"
    try:
        with path.open("rb") as handle:
            blank = _blank(handle)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if blank:
        return "holds only whitespace"  # Unicode spaces, NUL and zero-width ones included
    return ""


INVISIBLE = "\x00\u200b\u200c\u200d\u2060\ufeff"
"""Characters that show nothing yet are not `str.isspace()`: NUL, zero-width spaces, BOM."""


def _blank(handle: Any) -> bool:
    """Whether the whole file (read in chunks, any size) holds nothing but Unicode
    whitespace, NUL bytes and zero-width characters. Undecodable bytes are content."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        chunk = handle.read(BLANK_CHECK_BYTES)
        text = decoder.decode(chunk, final=not chunk)
        if _has_content(text):
            return False
        if not chunk:
            return True


_DROP_INVISIBLE = {ord(ch): None for ch in INVISIBLE}


def _has_content(text: str) -> bool:
    # str.strip() with no argument strips exactly what str.isspace() calls whitespace
    return bool(text.translate(_DROP_INVISIBLE).strip())


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
        MetricSpec("missing", help="required files (or globs) with no match that is a "
                   "regular, readable, non-blank file"),
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
