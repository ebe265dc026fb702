"""Licence names as packages write them -> SPDX expressions -> allowed or not. Pure.

Packages spell licences many ways ("MIT License", "Apache 2.0", a trove
classifier) and name ambiguous families ("BSD", "LGPL"). Names map to SPDX
ids; an ambiguous name keeps every id it may mean and is allowed only when
all of them are. Anything not recognised stays unknown: never a pass.

Long because most of it is the table of licence spellings and families; the
logic that judges an expression is short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ALLOWED, UNKNOWN, NOT_ALLOWED, DENIED = "allowed", "unknown", "not-allowed", "denied"
_RANK = {ALLOWED: 0, UNKNOWN: 1, NOT_ALLOWED: 2, DENIED: 3}  # OR takes the best, AND the worst

KNOWN_IDS = [
    "0BSD", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0",
    "APSL-2.0", "Artistic-2.0", "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause",
    "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0",
    "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CECILL-2.1", "CNRI-Python", "ECL-2.0",
    "EPL-1.0", "EPL-2.0", "EUPL-1.2", "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only",
    "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ISC", "LGPL-2.0-only",
    "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
    "LGPL-3.0-or-later", "MIT", "MIT-0", "MIT-CMU", "MPL-1.1", "MPL-2.0",
    "MPL-2.0-no-copyleft-exception", "MS-PL", "NCSA", "OFL-1.1", "OpenSSL", "PostgreSQL",
    "PSF-2.0", "Python-2.0", "Python-2.0.1", "SSPL-1.0", "Unicode-3.0", "Unicode-DFS-2016",
    "Unlicense", "UPL-1.0", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.0", "ZPL-2.1"
]
EXCEPTION_IDS = [
    "Classpath-exception-2.0", "GCC-exception-3.1", "LLVM-exception", "Autoconf-exception-3.0",
    "Bison-exception-2.2", "Font-exception-2.0", "OpenJDK-assembly-exception-1.0",
    "Qt-LGPL-exception-1.1"
]
# Deprecated SPDX ids still seen in metadata.
DEPRECATED = {
    "GPL-2.0": "GPL-2.0-only", "GPL-2.0+": "GPL-2.0-or-later", "GPL-3.0": "GPL-3.0-only",
    "GPL-3.0+": "GPL-3.0-or-later", "LGPL-2.0": "LGPL-2.0-only", "LGPL-2.0+": "LGPL-2.0-or-later",
    "LGPL-2.1": "LGPL-2.1-only", "LGPL-2.1+": "LGPL-2.1-or-later", "LGPL-3.0": "LGPL-3.0-only",
    "LGPL-3.0+": "LGPL-3.0-or-later", "AGPL-3.0": "AGPL-3.0-only", "AGPL-3.0+": "AGPL-3.0-or-later",
}
_LGPL = ("LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later",
         "LGPL-3.0-only", "LGPL-3.0-or-later")
_GPL = ("GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later")
# Common spellings (names, trove classifier leaves) -> the SPDX ids they may mean.
ALIASES: dict[str, tuple[str, ...]] = {
    "MIT License": ("MIT",), "Expat": ("MIT",), "MIT No Attribution License (MIT-0)": ("MIT-0",),
    "BSD": ("BSD-2-Clause", "BSD-3-Clause"), "BSD License": ("BSD-2-Clause", "BSD-3-Clause"),
    "BSD 2-Clause": ("BSD-2-Clause",), "Simplified BSD": ("BSD-2-Clause",),
    "FreeBSD": ("BSD-2-Clause",), "BSD 3-Clause": ("BSD-3-Clause",),
    "New BSD": ("BSD-3-Clause",), "Modified BSD": ("BSD-3-Clause",),
    "Revised BSD": ("BSD-3-Clause",), "3-clause BSD": ("BSD-3-Clause",),
    "2-clause BSD": ("BSD-2-Clause",), "Apache": ("Apache-2.0",), "Apache 2.0": ("Apache-2.0",),
    "Apache Software License": ("Apache-2.0",), "ASL 2.0": ("Apache-2.0",),
    "Apache License, Version 2.0": ("Apache-2.0",), "Apache 1.1": ("Apache-1.1",),
    "PSF": ("PSF-2.0",), "PSFL": ("PSF-2.0",), "Python Software Foundation License": ("PSF-2.0",),
    "Python": ("Python-2.0",), "MPL 2.0": ("MPL-2.0",), "Mozilla Public License 2.0 (MPL 2.0)":
    ("MPL-2.0",), "MPL 1.1": ("MPL-1.1",), "ISC License (ISCL)": ("ISC",), "ISCL": ("ISC",),
    "GPL": _GPL, "GPLv2": ("GPL-2.0-only",), "GPLv2+": ("GPL-2.0-or-later",),
    "GPLv3": ("GPL-3.0-only",), "GPLv3+": ("GPL-3.0-or-later",),
    "GNU General Public License (GPL)": _GPL,
    "GNU General Public License v2 (GPLv2)": ("GPL-2.0-only",),
    "GNU General Public License v2 or later (GPLv2+)": ("GPL-2.0-or-later",),
    "GNU General Public License v3 (GPLv3)": ("GPL-3.0-only",),
    "GNU General Public License v3 or later (GPLv3+)": ("GPL-3.0-or-later",),
    "LGPL": _LGPL, "GNU Library or Lesser General Public License (LGPL)": _LGPL,
    "GNU Lesser General Public License v2 (LGPLv2)": ("LGPL-2.0-only", "LGPL-2.1-only"),
    "GNU Lesser General Public License v2 or later (LGPLv2+)": ("LGPL-2.0-or-later",),
    "GNU Lesser General Public License v3 (LGPLv3)": ("LGPL-3.0-only",),
    "GNU Lesser General Public License v3 or later (LGPLv3+)": ("LGPL-3.0-or-later",),
    "LGPLv2.1": ("LGPL-2.1-only",), "LGPLv2.1+": ("LGPL-2.1-or-later",),
    "LGPLv3": ("LGPL-3.0-only",), "LGPLv3+": ("LGPL-3.0-or-later",),
    "GNU Affero General Public License v3": ("AGPL-3.0-only",),
    "GNU Affero General Public License v3 or later (AGPLv3+)": ("AGPL-3.0-or-later",),
    "AGPLv3": ("AGPL-3.0-only",), "AGPLv3+": ("AGPL-3.0-or-later",),
    "The Unlicense (Unlicense)": ("Unlicense",),
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": ("CC0-1.0",),
    "Boost Software License 1.0 (BSL-1.0)": ("BSL-1.0",), "zlib/libpng License": ("Zlib",),
    "Eclipse Public License 1.0 (EPL-1.0)": ("EPL-1.0",),
    "Eclipse Public License 2.0 (EPL-2.0)": ("EPL-2.0",),
    "Universal Permissive License (UPL)": ("UPL-1.0",),
    "Historical Permission Notice and Disclaimer (HPND)": ("HPND",),
    "European Union Public Licence 1.2 (EUPL 1.2)": ("EUPL-1.2",),
    "Zope Public License": ("ZPL-2.0", "ZPL-2.1"),
}
_IDS = {i.lower(): i for i in (*KNOWN_IDS, *EXCEPTION_IDS)}
_IDS.update({k.lower(): v for k, v in DEPRECATED.items()})
_NOISE = {"the", "license", "licence", "licensed", "software", "version", "only", "under"}
_OPERATORS = ("AND", "OR", "WITH")


class SpdxError(ValueError):
    """A licence expression that does not parse."""


def _key(name: str) -> str:
    """A spelling-insensitive key: 'Apache License, Version 2.0' -> 'apache 2'."""
    text = name.lower().strip()
    bare = re.sub(r"\([^)]*\)", " ", text)
    text = bare if bare.strip() else text.strip("()")
    text = re.sub(r"\bor[\s-]+later\b", "+", text)
    text = re.sub(r"[-_,/:;]+", " ", text)
    text = re.sub(r"(?<=[a-z])v?(?=\d)", " ", text)  # gplv3, apache2 -> gpl 3, apache 2
    text = re.sub(r"\bv(?=\d)", "", text)
    text = re.sub(r"(\d)\.0(?![\d.])", r"\1", text)  # 2.0 -> 2
    words = [w for w in text.split() if w not in _NOISE]
    return " ".join(words).replace(" +", "+")


_ALIAS_KEYS: dict[str, tuple[str, ...]] = {}
for _name, _ids in ALIASES.items():
    _ALIAS_KEYS[_key(_name)] = _ids
for _id in KNOWN_IDS:
    _ALIAS_KEYS.setdefault(_key(_id), (_id,))


def lookup(name: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The SPDX ids a licence name may mean: one, several (ambiguous) or none.

    `extra` are ids the caller accepts as-is (its own LicenseRef-… entries).
    """
    name = name.strip()
    extra_ids = {e.lower(): e for e in extra}
    if name.lower() in extra_ids:
        return (extra_ids[name.lower()],)
    if name.lower() in _IDS:
        return (_IDS[name.lower()],)
    return _ALIAS_KEYS.get(_key(name), ())


@dataclass(frozen=True)
class Leaf:
    """One licence as written, with the ids it may mean (none: unrecognised)."""

    text: str
    ids: tuple[str, ...]
    exception: str | None = None

    def __str__(self) -> str:
        if not self.ids:
            base = f"{self.text} (unrecognised)"
        elif len(self.ids) == 1:
            base = self.ids[0]
        else:
            base = f"{self.text} (ambiguous: {' or '.join(self.ids)})"
        return f"{base} WITH {self.exception}" if self.exception else base


@dataclass(frozen=True)
class Op:
    """`AND` or `OR` over two or more operands."""

    op: str
    args: tuple[Expr, ...]

    def __str__(self) -> str:
        return f" {self.op} ".join(f"({a})" if isinstance(a, Op) else str(a) for a in self.args)


Expr = Leaf | Op


def parse(text: str, extra: Iterable[str] = ()) -> Expr:
    """Parse an SPDX expression (also loose names such as 'MIT License')."""
    extra = tuple(extra)
    whole = text.strip()
    if not whole:
        raise SpdxError("empty licence expression")
    if lookup(whole, extra):
        return Leaf(whole, lookup(whole, extra))
    tokens = _tokens(whole)
    parser = _Parser(tokens, extra, whole)
    expr = parser.any_of()
    if parser.pos != len(tokens):
        raise SpdxError(f"unexpected {tokens[parser.pos]!r} in {whole!r}")
    return expr


def _tokens(text: str) -> list[str]:
    """Parentheses, operators, and leaves (consecutive other words, joined)."""
    tokens: list[str] = []
    words: list[str] = []
    for piece in re.findall(r"\(|\)|[^\s()]+", text):
        if piece in "()" or piece.upper() in _OPERATORS:
            if words:
                tokens.append(" ".join(words))
                words = []
            tokens.append(piece.upper())
        else:
            words.append(piece)
    if words:
        tokens.append(" ".join(words))
    return tokens


class _Parser:
    """Recursive descent, SPDX precedence: WITH > AND > OR."""

    def __init__(self, tokens: list[str], extra: tuple[str, ...], text: str) -> None:
        self.tokens, self.extra, self.text, self.pos = tokens, extra, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise SpdxError(f"{self.text!r} ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def any_of(self) -> Expr:
        args = [self.all_of()]
        while self.peek() == "OR":
            self.take()
            args.append(self.all_of())
        return args[0] if len(args) == 1 else Op("OR", tuple(args))

    def all_of(self) -> Expr:
        args = [self.operand()]
        while self.peek() == "AND":
            self.take()
            args.append(self.operand())
        return args[0] if len(args) == 1 else Op("AND", tuple(args))

    def operand(self) -> Expr:
        token = self.take()
        if token == "(":
            expr = self.any_of()
            if self.peek() != ")":
                raise SpdxError(f"unbalanced parentheses in {self.text!r}")
            self.take()
            return expr
        if token in (*_OPERATORS, ")"):
            raise SpdxError(f"expected a licence, got {token!r} in {self.text!r}")
        exception = None
        if self.peek() == "WITH":
            self.take()
            exception = self.take()
            if exception in (*_OPERATORS, "(", ")"):
                raise SpdxError(f"expected an exception after WITH in {self.text!r}")
        return Leaf(token, lookup(token, self.extra), exception)


@dataclass(frozen=True)
class Policy:
    """allow (None: anything not denied) and deny, as canonical ids."""

    allow: frozenset[str] | None
    deny: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str


def evaluate(expr: Expr, policy: Policy) -> Decision:
    """OR is allowed if any branch is, AND only if all are; ambiguity takes the worst."""
    if isinstance(expr, Op):
        decisions = [evaluate(a, policy) for a in expr.args]
        pick = min if expr.op == "OR" else max
        return pick(decisions, key=lambda d: _RANK[d.status])
    if not expr.ids:
        return Decision(UNKNOWN, f"{expr.text!r} is not a recognised licence")
    if expr.exception and len(expr.ids) == 1:
        full = f"{expr.ids[0]} WITH {expr.exception}"
        if full in policy.deny:
            return Decision(DENIED, f"{full} is denied")
        if policy.allow is not None and full in policy.allow:
            return Decision(ALLOWED, f"{full} is allowed")
    worst = max((_judge(i, policy) for i in expr.ids), key=lambda d: _RANK[d.status])
    if len(expr.ids) > 1 and worst.status != ALLOWED:
        return Decision(worst.status, f"{expr.text!r} is ambiguous "
                        f"({' or '.join(expr.ids)}) and {worst.reason}")
    return worst


def _judge(spdx_id: str, policy: Policy) -> Decision:
    if spdx_id in policy.deny:
        return Decision(DENIED, f"{spdx_id} is denied")
    if policy.allow is not None and spdx_id not in policy.allow:
        return Decision(NOT_ALLOWED, f"{spdx_id} is not in the allow list")
    return Decision(ALLOWED, f"{spdx_id} is allowed")


def canonical_policy_id(entry: str) -> str:
    """An allow/deny entry as one canonical id; ValueError saying why not."""
    text = entry.strip()
    if re.match(r"^LicenseRef-[A-Za-z0-9.-]+$", text):
        return text
    base, _, exception = text.partition(" WITH ")
    ids = lookup(base)
    if len(ids) != 1:
        why = "ambiguous: " + " or ".join(ids) if ids else "not a known SPDX licence id"
        raise ValueError(f"{entry!r} is {why} (write SPDX ids such as 'MIT', "
                         "'Apache-2.0', or 'LicenseRef-<name>' for your own)")
    if exception:
        known = _IDS.get(exception.strip().lower())
        if known not in EXCEPTION_IDS:
            raise ValueError(f"{entry!r}: {exception.strip()!r} is not a known SPDX exception")
        return f"{ids[0]} WITH {known}"
    return ids[0]
