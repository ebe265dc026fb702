"""Licence names as packages write them -> SPDX expressions -> allowed or not. Pure.

SPDX ids, their deprecated spellings (`GPL-2.0+`) and expressions come from
the `license-expression` library (the SPDX licence list it ships: 700+ ids
and exceptions, kept current by its maintainers, not by us). Packages also
spell licences loosely ("MIT License", "Apache 2.0", a trove classifier) and
name ambiguous families ("BSD", "LGPL"): that alias layer is ours, because no
library maps those. An ambiguous name keeps every id it may mean and is
allowed only when all of them are. Anything not recognised stays unknown:
never a pass.

Slightly long because of a small parser for loose text the library refuses
("Apache 2.0 or MIT License": names with spaces); SPDX expressions themselves
are parsed by the library, loose spellings are in aliases.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_tower.checks.licenses.aliases import ALIASES, loose_key

ALLOWED, UNKNOWN, NOT_ALLOWED, DENIED = "allowed", "unknown", "not-allowed", "denied"
_RANK = {ALLOWED: 0, UNKNOWN: 1, NOT_ALLOWED: 2, DENIED: 3}  # OR takes the best, AND the worst

_OPERATORS = ("AND", "OR", "WITH")
_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")


class SpdxError(ValueError):
    """A licence expression that does not parse."""


def _is_ref(name: str) -> bool:
    """A `LicenseRef-...` name: the library's index maps some (scancode's own) to SPDX
    ids (LicenseRef-MIT-Bootstrap -> MIT); here a LicenseRef means only what the policy
    names, so those are left out."""
    return name.lower().startswith("licenseref-")


@dataclass(frozen=True)
class _Table:
    """The SPDX list of license-expression, as this module asks it."""

    licences: Mapping[str, str]  # lower-case id or deprecated id -> canonical licence id
    exceptions: Mapping[str, str]  # lower-case exception id -> canonical exception id
    loose: Mapping[str, tuple[str, ...]]  # loose_key(name) -> the ids a loose name may mean
    licensing: Any  # license_expression.Licensing over the SPDX symbols only
    library: Any  # the license_expression module it was built with: its classes, its errors


@functools.cache
def _table() -> _Table:
    """Built on first use (the index is ~2,400 entries: not at import).

    Every class and exception is taken from the module object the table was built
    with: an in-process pytest run (pytester) may drop license_expression from
    sys.modules, and a later import would give classes that isinstance and except
    clauses do not match against this cached table's objects.
    """
    import license_expression as library

    licences: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    symbols = []
    for entry in library.get_license_index():
        key = entry.get("spdx_license_key") or ""
        if not key or _is_ref(key):
            continue
        aliases = tuple(a for a in entry.get("other_spdx_license_keys") or ()
                        if a and not _is_ref(a))
        is_exception = bool(entry.get("is_exception"))
        symbols.append(library.LicenseSymbol(key, aliases=aliases, is_exception=is_exception))
        for name in (key, *aliases):
            (exceptions if is_exception else licences).setdefault(name.lower(), key)
    by_key: dict[str, set[str]] = {}
    for canonical in set(licences.values()):
        by_key.setdefault(loose_key(canonical), set()).add(canonical)
    # an id's loose spelling ("Apache 2" for Apache-2.0) only where it names one id
    loose: dict[str, tuple[str, ...]] = {k: (next(iter(ids)),) for k, ids in by_key.items()
                                         if len(ids) == 1}
    loose.update({loose_key(name): ids for name, ids in ALIASES.items()})
    return _Table(licences, exceptions, loose, library.Licensing(symbols), library)


def known_licence(spdx_id: str) -> bool:
    """Whether `spdx_id` is on the SPDX licence list (any case, deprecated ids too)."""
    return spdx_id.strip().lower() in _table().licences


def lookup(name: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The SPDX ids a licence name may mean: one, several (ambiguous) or none.

    `extra` are ids the caller accepts as-is (its own LicenseRef-… entries).
    """
    name = name.strip()
    extra_ids = {e.lower(): e for e in extra}
    if name.lower() in extra_ids:
        return (extra_ids[name.lower()],)
    table = _table()
    if name.lower() in table.licences:
        return (table.licences[name.lower()],)
    if _is_ref(name):
        return ()
    return tuple(table.loose.get(loose_key(name), ()))


def _exception(name: str) -> str:
    """An exception's canonical id, or the name as written when the list lacks it."""
    return _table().exceptions.get(name.strip().lower(), name)


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
    """Parse an SPDX expression (through license-expression), or loose text such as
    'MIT License' or 'Apache 2.0 or MIT License' (names with spaces, which SPDX has not)."""
    extra = tuple(extra)
    whole = text.strip()
    if not whole:
        raise SpdxError("empty licence expression")
    if lookup(whole, extra):
        return Leaf(whole, lookup(whole, extra))
    table = _table()
    try:
        tree = table.licensing.parse(whole, strict=True, validate=False)
    except (table.library.ExpressionError, table.library.ParseError):  # ParseError: boolean.py's
        return _parse_loose(whole, extra)
    if tree is None:
        raise SpdxError(f"{whole!r} holds no licence")
    return _convert(tree, table, extra)


def _convert(node: Any, table: _Table, extra: tuple[str, ...]) -> Expr:
    """license-expression's tree -> Leaf/Op, each symbol looked up here (LicenseRef-…
    only when named by the policy)."""
    licensing = table.licensing
    if isinstance(node, licensing.AND | licensing.OR):
        op = "AND" if isinstance(node, licensing.AND) else "OR"
        return Op(op, tuple(_convert(a, table, extra) for a in node.args))
    if isinstance(node, table.library.LicenseWithExceptionSymbol):
        key = str(node.license_symbol.key)
        return Leaf(key, lookup(key, extra), _exception(str(node.exception_symbol.key)))
    key = str(node.key)
    return Leaf(key, lookup(key, extra))


def _parse_loose(text: str, extra: tuple[str, ...]) -> Expr:
    tokens = _tokens(text)
    parser = _Parser(tokens, extra, text)
    expr = parser.any_of()
    if parser.pos != len(tokens):
        raise SpdxError(f"unexpected {tokens[parser.pos]!r} in {text!r}")
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
    """Recursive descent over loose text, SPDX precedence: WITH > AND > OR."""

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
            exception = _exception(exception)
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
    if _REF.match(text):
        return text
    base, _, exception = text.partition(" WITH ")
    ids = lookup(base)
    if len(ids) != 1:
        why = "ambiguous: " + " or ".join(ids) if ids else "not a known SPDX licence id"
        raise ValueError(f"{entry!r} is {why} (write SPDX ids such as 'MIT', "
                         "'Apache-2.0', or 'LicenseRef-<name>' for your own)")
    if exception:
        known = _table().exceptions.get(exception.strip().lower())
        if known is None:
            raise ValueError(f"{entry!r}: {exception.strip()!r} is not a known SPDX exception")
        return f"{ids[0]} WITH {known}"
    return ids[0]
