"""Write a project whose test suite behaves like a real one, for timing the `tests` stage.

    python bench/realistic_suite.py DEST [--slow-per-module 850]

Issue 16 measured the gate on a real project: ~2,500 tests run out of ~33,000
collected (a large parametrised set deselected by a marker in `addopts`),
`branch = true` coverage, src/ layout. Toy suites (one-line tests, nothing
deselected) hide exactly the costs that dominated there: collection of items
that never run, tracing of fixture setup, per-test hook overhead. So this
writes (deterministically, no randomness):

- src/acme/: 6 subpackages x 6 modules (36 modules) of ordinary code with
  branches, classes and small algorithms (prices with Decimal, text utilities,
  graphs with BFS/Dijkstra/topological sort, an inventory with reservations,
  a recursive-descent expression parser, caches), so coverage has real work;
- tests/: 36 test modules, ~66 run tests each (plain, classes, parametrised,
  module and session fixtures that build data structures, tmp_path users, one
  slower test each), plus `slow_per_module` parametrised items per module
  marked `slow`, deselected by `addopts = "-m 'not slow'"`;
- pyproject.toml with [tool.pytest.ini_options] (addopts, markers, testpaths,
  pythonpath = src) and [tool.coverage.run] branch = true, source = ["acme"];
- gates.toml ([unit.tests], workers = 1), gates-workers2.toml (workers = 2),
  gates-auto.toml and gates-auto-own.toml (workers = "auto").

Every generated test passes; `counts()` says how many run and how many are
deselected (by collecting), so a bench can check the run it timed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = "acme"
KINDS = ("pricing", "text", "graph", "inventory", "parsing", "cache")
VARIANTS = 6  # modules per kind: 36 modules, 36 test modules
SLOW_PER_MODULE = 850  # deselected parametrised items per test module (30,600 in all)


def _fill(template: str, **values: object) -> str:
    """Template text with @NAME@ placeholders (braces stay literal for the code)."""
    text = textwrap.dedent(template).lstrip("\n")
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    left = re.findall(r"@[A-Z]+@", text)
    assert not left, left
    return text


# ---------------------------------------------------------------- package code

PRICING = '''
"""Prices, discounts and taxes for sales channel @N@."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TAX_RATE = Decimal("0.@TAX@")
BULK = @BULK@


class PricingError(ValueError):
    pass


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str = "EUR"

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise PricingError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.cents + other.cents, self.currency)

    def scale(self, factor: Decimal) -> Money:
        value = (Decimal(self.cents) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(int(value), self.currency)

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, frac = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{frac:02d} {self.currency}"


@dataclass
class Line:
    sku: str
    unit: Money
    quantity: int = 1

    def total(self) -> Money:
        if self.quantity <= 0:
            raise PricingError(f"quantity must be positive: {self.quantity}")
        return Money(self.unit.cents * self.quantity, self.unit.currency)


def discount_rate(quantity: int, member: bool = False, code: str | None = None) -> Decimal:
    rate = Decimal(0)
    if quantity >= BULK * 4:
        rate += Decimal("0.15")
    elif quantity >= BULK * 2:
        rate += Decimal("0.10")
    elif quantity >= BULK:
        rate += Decimal("0.05")
    if member:
        rate += Decimal("0.03")
    if code is not None:
        code = code.strip().upper()
        if code.startswith("VIP"):
            rate += Decimal("0.07")
        elif code == "WELCOME":
            rate += Decimal("0.02")
        elif code:
            raise PricingError(f"unknown code {code!r}")
    return min(rate, Decimal("0.25"))


@dataclass
class Basket:
    lines: list[Line] = field(default_factory=list)
    member: bool = False
    code: str | None = None

    def add(self, sku: str, cents: int, quantity: int = 1) -> Line:
        for line in self.lines:
            if line.sku == sku:
                line.quantity += quantity
                return line
        line = Line(sku, Money(cents), quantity)
        self.lines.append(line)
        return line

    def remove(self, sku: str) -> bool:
        before = len(self.lines)
        self.lines = [line for line in self.lines if line.sku != sku]
        return before != len(self.lines)

    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def subtotal(self) -> Money:
        total = Money(0)
        for line in self.lines:
            total = total + line.total()
        return total

    def total(self) -> Money:
        rate = discount_rate(self.quantity(), self.member, self.code)
        return self.subtotal().scale(Decimal(1) - rate).scale(Decimal(1) + TAX_RATE)


def price_table(prices: list[int], quantities: list[int]) -> dict[tuple[int, int], int]:
    table = {}
    for cents in prices:
        for quantity in quantities:
            basket = Basket()
            basket.add("item", cents, quantity)
            table[(cents, quantity)] = basket.total().cents
    return table


def cheapest_split(cents: int, quantity: int) -> list[int]:
    """Baskets of at most 4*BULK items each: the split that costs least (greedy)."""
    if quantity <= 0:
        return []
    size = BULK * 4
    parts = [size] * (quantity // size)
    rest = quantity % size
    if rest:
        parts.append(rest)
    return parts
'''

TEXT = '''
"""Text helpers for document set @N@: slugs, wrapping, tokens, ciphers."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

SHIFT = @SHIFT@
WIDTH = @WIDTH@
_WORD = re.compile(r"[A-Za-z0-9']+")


def slugify(text: str, separator: str = "-") -> str:
    normal = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", normal.lower())
    return separator.join(words)


def tokens(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def frequencies(text: str, top: int = 5) -> list[tuple[str, int]]:
    counts = Counter(tokens(text))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def wrap(text: str, width: int = WIDTH) -> list[str]:
    if width < 1:
        raise ValueError("width must be positive")
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def is_palindrome(text: str) -> bool:
    letters = [c.lower() for c in text if c.isalnum()]
    return letters == letters[::-1]


def caesar(text: str, shift: int = SHIFT) -> str:
    out = []
    for char in text:
        if "a" <= char <= "z":
            out.append(chr((ord(char) - 97 + shift) % 26 + 97))
        elif "A" <= char <= "Z":
            out.append(chr((ord(char) - 65 + shift) % 26 + 65))
        else:
            out.append(char)
    return "".join(out)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


def title_case(text: str, small: frozenset[str] = frozenset({"a", "of", "the", "and"})) -> str:
    words = text.split()
    result = []
    for index, word in enumerate(words):
        if index and word.lower() in small:
            result.append(word.lower())
        else:
            result.append(word[:1].upper() + word[1:].lower())
    return " ".join(result)


class Template:
    """`{name}` placeholders; a missing name is an error unless a default is given."""

    def __init__(self, text: str, defaults: dict[str, str] | None = None) -> None:
        self.text = text
        self.defaults = defaults or {}

    def names(self) -> list[str]:
        return re.findall(r"{(\\w+)}", self.text)

    def render(self, **values: str) -> str:
        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            if name in self.defaults:
                return self.defaults[name]
            raise KeyError(name)

        return re.sub(r"{(\\w+)}", sub, self.text)
'''

GRAPH = '''
"""Route planning for network @N@: a weighted directed graph."""

from __future__ import annotations

import heapq
from collections import deque

PENALTY = @PENALTY@


class CycleError(ValueError):
    pass


class Graph:
    def __init__(self) -> None:
        self.edges: dict[str, dict[str, int]] = {}

    def add_edge(self, a: str, b: str, weight: int = 1) -> None:
        if weight < 0:
            raise ValueError("negative weight")
        self.edges.setdefault(a, {})[b] = weight
        self.edges.setdefault(b, {})

    def nodes(self) -> list[str]:
        return sorted(self.edges)

    def neighbours(self, node: str) -> list[str]:
        return sorted(self.edges.get(node, {}))

    def bfs(self, start: str) -> list[str]:
        seen, order, queue = {start}, [], deque([start])
        while queue:
            node = queue.popleft()
            order.append(node)
            for nxt in self.neighbours(node):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return order

    def dfs(self, start: str) -> list[str]:
        seen: set[str] = set()
        order: list[str] = []
        stack = [start]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            order.append(node)
            stack.extend(reversed(self.neighbours(node)))
        return order

    def shortest(self, start: str, goal: str) -> tuple[int, list[str]]:
        queue = [(0, start, [start])]
        best: dict[str, int] = {}
        while queue:
            cost, node, path = heapq.heappop(queue)
            if node == goal:
                return cost, path
            if node in best and best[node] <= cost:
                continue
            best[node] = cost
            for nxt, weight in self.edges.get(node, {}).items():
                extra = PENALTY if len(path) > 8 else 0
                heapq.heappush(queue, (cost + weight + extra, nxt, path + [nxt]))
        raise KeyError(f"no route from {start} to {goal}")

    def topological(self) -> list[str]:
        incoming = {node: 0 for node in self.edges}
        for targets in self.edges.values():
            for target in targets:
                incoming[target] += 1
        ready = sorted(node for node, count in incoming.items() if count == 0)
        order = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for target in self.neighbours(node):
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
            ready.sort()
        if len(order) != len(self.edges):
            raise CycleError("the graph has a cycle")
        return order

    def components(self) -> list[set[str]]:
        undirected: dict[str, set[str]] = {node: set() for node in self.edges}
        for a, targets in self.edges.items():
            for b in targets:
                undirected[a].add(b)
                undirected[b].add(a)
        seen: set[str] = set()
        groups = []
        for node in sorted(undirected):
            if node in seen:
                continue
            group, stack = set(), [node]
            while stack:
                current = stack.pop()
                if current in group:
                    continue
                group.add(current)
                stack.extend(undirected[current] - group)
            seen |= group
            groups.append(group)
        return groups


def grid(width: int, height: int) -> Graph:
    graph = Graph()
    for x in range(width):
        for y in range(height):
            here = f"{x},{y}"
            if x + 1 < width:
                graph.add_edge(here, f"{x + 1},{y}", 1 + (x + y) % 3)
            if y + 1 < height:
                graph.add_edge(here, f"{x},{y + 1}", 1 + (x * y) % 2)
    return graph


def chain(length: int) -> Graph:
    graph = Graph()
    for i in range(length - 1):
        graph.add_edge(f"n{i:04d}", f"n{i + 1:04d}", 1)
    return graph
'''

INVENTORY = '''
"""Stock keeping for warehouse @N@: items, reservations, reorders."""

from __future__ import annotations

from dataclasses import dataclass, field

REORDER_LEVEL = @LEVEL@
REORDER_BATCH = @BATCH@


class StockError(RuntimeError):
    pass


@dataclass
class Item:
    sku: str
    on_hand: int = 0
    reserved: int = 0
    history: list[tuple[str, int]] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Warehouse:
    def __init__(self, name: str = "main") -> None:
        self.name = name
        self.items: dict[str, Item] = {}

    def item(self, sku: str) -> Item:
        try:
            return self.items[sku]
        except KeyError:
            raise StockError(f"unknown sku {sku}") from None

    def receive(self, sku: str, quantity: int) -> Item:
        if quantity <= 0:
            raise StockError("receive a positive quantity")
        item = self.items.setdefault(sku, Item(sku))
        item.on_hand += quantity
        item.history.append(("receive", quantity))
        return item

    def reserve(self, sku: str, quantity: int) -> bool:
        item = self.item(sku)
        if quantity <= 0:
            raise StockError("reserve a positive quantity")
        if item.available < quantity:
            item.history.append(("refused", quantity))
            return False
        item.reserved += quantity
        item.history.append(("reserve", quantity))
        return True

    def release(self, sku: str, quantity: int) -> None:
        item = self.item(sku)
        if quantity > item.reserved:
            raise StockError(f"only {item.reserved} reserved")
        item.reserved -= quantity
        item.history.append(("release", quantity))

    def ship(self, sku: str, quantity: int) -> None:
        item = self.item(sku)
        if quantity > item.reserved:
            raise StockError("ship only what is reserved")
        item.reserved -= quantity
        item.on_hand -= quantity
        item.history.append(("ship", quantity))

    def reorders(self) -> dict[str, int]:
        wanted = {}
        for sku, item in sorted(self.items.items()):
            if item.available < REORDER_LEVEL:
                shortfall = REORDER_LEVEL - item.available
                batches = -(-shortfall // REORDER_BATCH)
                wanted[sku] = batches * REORDER_BATCH
        return wanted

    def value(self, prices: dict[str, int]) -> int:
        total = 0
        for sku, item in self.items.items():
            price = prices.get(sku)
            if price is None:
                continue
            total += price * item.on_hand
        return total

    def report(self) -> list[str]:
        lines = []
        for sku, item in sorted(self.items.items()):
            flag = "LOW" if item.available < REORDER_LEVEL else "ok"
            lines.append(f"{sku:<10} {item.on_hand:>6} {item.reserved:>6} {flag}")
        return lines


def replay(events: list[tuple[str, str, int]]) -> Warehouse:
    """A warehouse after a log of (action, sku, quantity); refused reservations stay refused."""
    house = Warehouse()
    for action, sku, quantity in events:
        if action == "receive":
            house.receive(sku, quantity)
        elif action == "reserve":
            house.reserve(sku, quantity)
        elif action == "release":
            house.release(sku, quantity)
        elif action == "ship":
            house.ship(sku, quantity)
        else:
            raise StockError(f"unknown action {action}")
    return house
'''

PARSING = '''
"""Formulas and records for report @N@: an expression evaluator and a CSV line reader."""

from __future__ import annotations

import math

SCALE = @SCALE@
FUNCTIONS = {"sqrt": math.sqrt, "abs": abs, "floor": math.floor, "scale": lambda x: x * SCALE}


class ParseError(ValueError):
    pass


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char.isdigit() or char == ".":
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            tokens.append(text[i:j])
            i = j
        elif char.isalpha() or char == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(text[i:j])
            i = j
        elif char in "+-*/^(),":
            tokens.append(char)
            i += 1
        else:
            raise ParseError(f"unexpected {char!r} at {i}")
    return tokens


class Parser:
    def __init__(self, text: str, names: dict[str, float] | None = None) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.names = names or {}

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end")
        if expected is not None and token != expected:
            raise ParseError(f"expected {expected!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> float:
        value = self.expr()
        if self.peek() is not None:
            raise ParseError(f"trailing {self.peek()!r}")
        return value

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            if self.take() == "+":
                value += self.term()
            else:
                value -= self.term()
        return value

    def term(self) -> float:
        value = self.power()
        while self.peek() in ("*", "/"):
            if self.take() == "*":
                value *= self.power()
            else:
                divisor = self.power()
                if divisor == 0:
                    raise ZeroDivisionError("division by zero in formula")
                value /= divisor
        return value

    def power(self) -> float:
        base = self.unary()
        if self.peek() == "^":
            self.take()
            return base ** self.power()
        return base

    def unary(self) -> float:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        return self.atom()

    def atom(self) -> float:
        token = self.take()
        if token == "(":
            value = self.expr()
            self.take(")")
            return value
        if token[0].isdigit() or token[0] == ".":
            try:
                return float(token)
            except ValueError:
                raise ParseError(f"bad number {token!r}") from None
        if token in FUNCTIONS:
            self.take("(")
            value = self.expr()
            self.take(")")
            return float(FUNCTIONS[token](value))
        if token in self.names:
            return self.names[token]
        raise ParseError(f"unknown name {token!r}")


def evaluate(text: str, **names: float) -> float:
    return Parser(text, names).parse()


def split_csv(line: str, delimiter: str = ",") -> list[str]:
    fields, current, quoted, i = [], [], False, 0
    while i < len(line):
        char = line[i]
        if quoted:
            if char == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    current.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == delimiter:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise ParseError("unterminated quote")
    fields.append("".join(current))
    return fields


def parse_config(text: str) -> dict[str, str | int | bool]:
    result: dict[str, str | int | bool] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ParseError(f"line {number}: expected key = value")
        key, value = (part.strip() for part in line.split("=", 1))
        if value.lower() in ("true", "false"):
            result[key] = value.lower() == "true"
        elif value.lstrip("-").isdigit():
            result[key] = int(value)
        else:
            result[key] = value.strip('"')
    return result
'''

CACHE = '''
"""Caching for service @N@: an LRU cache, a TTL cache with an injected clock, memoize."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

CAPACITY = @CAPACITY@
TTL = @TTL@


class LRU:
    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.hits = self.misses = self.evictions = 0

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self.data:
            self.hits += 1
            self.data.move_to_end(key)
            return self.data[key]
        self.misses += 1
        return default

    def put(self, key: Any, value: Any) -> None:
        if key in self.data:
            self.data.move_to_end(key)
        self.data[key] = value
        if len(self.data) > self.capacity:
            self.data.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self.data)

    def ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class TTLCache:
    def __init__(self, clock: Callable[[], float], ttl: float = TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        self.data: dict[Any, tuple[float, Any]] = {}

    def put(self, key: Any, value: Any) -> None:
        self.data[key] = (self.clock() + self.ttl, value)

    def get(self, key: Any) -> Any:
        entry = self.data.get(key)
        if entry is None:
            raise KeyError(key)
        expires, value = entry
        if self.clock() >= expires:
            del self.data[key]
            raise KeyError(key)
        return value

    def purge(self) -> int:
        now = self.clock()
        stale = [key for key, (expires, _) in self.data.items() if now >= expires]
        for key in stale:
            del self.data[key]
        return len(stale)


def memoize(function: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        if args not in cache:
            cache[args] = function(*args)
        return cache[args]

    wrapper.cache = cache  # type: ignore[attr-defined]
    return wrapper


@memoize
def fibonacci(n: int) -> int:
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


def simulate(keys: list[int], capacity: int = CAPACITY) -> tuple[int, int, int]:
    cache = LRU(capacity)
    for key in keys:
        if cache.get(key) is None:
            cache.put(key, key * key)
    return cache.hits, cache.misses, cache.evictions
'''

MODULES = {"pricing": PRICING, "text": TEXT, "graph": GRAPH, "inventory": INVENTORY,
           "parsing": PARSING, "cache": CACHE}


def module_values(kind: str, n: int) -> dict[str, object]:
    """The constants that make variant n of a kind its own module."""
    values: dict[str, dict[str, object]] = {
        "pricing": {"TAX": f"{7 + 3 * n:02d}", "BULK": 5 + n},
        "text": {"SHIFT": 3 + n, "WIDTH": 20 + 4 * n},
        "graph": {"PENALTY": 2 + n},
        "inventory": {"LEVEL": 10 + 5 * n, "BATCH": 12 + 2 * n},
        "parsing": {"SCALE": 2 + n},
        "cache": {"CAPACITY": 8 + 4 * n, "TTL": 30 + 10 * n}}
    return values[kind]


# ---------------------------------------------------------------- tests

HEADER = '''
"""Tests of acme.@KIND@.mod@N@."""

from __future__ import annotations

import pytest

from acme.@KIND@ import mod@N@ as m

'''

# Deselected by addopts: the long parametrised set every real suite grows.
SLOW = '''

@pytest.mark.slow
@pytest.mark.parametrize("case", range(@SLOW@))
def test_exhaustive(case):
    assert case >= 0

'''

PRICING_TESTS = '''
from decimal import Decimal


@pytest.fixture(scope="module")
def table():
    return m.price_table(list(range(100, 3100, 100)), list(range(1, m.BULK * 5, 3)))


@pytest.mark.parametrize("quantity", range(1, 40))
def test_discount_bands(quantity):
    rate = m.discount_rate(quantity)
    if quantity >= m.BULK * 4:
        assert rate == Decimal("0.15")
    elif quantity >= m.BULK * 2:
        assert rate == Decimal("0.10")
    elif quantity >= m.BULK:
        assert rate == Decimal("0.05")
    else:
        assert rate == 0


@pytest.mark.parametrize("code,extra", [("vip1", "0.07"), (" VIPgold ", "0.07"),
                                        ("welcome", "0.02"), ("", "0"), (None, "0")])
@pytest.mark.parametrize("member", [False, True])
def test_codes(code, extra, member):
    rate = m.discount_rate(1, member, code)
    assert rate == Decimal(extra) + (Decimal("0.03") if member else 0)


def test_unknown_code():
    with pytest.raises(m.PricingError, match="unknown code"):
        m.discount_rate(1, code="bogus")


def test_rate_is_capped():
    assert m.discount_rate(m.BULK * 10, True, "VIP") == Decimal("0.25")


class TestMoney:
    def test_add(self):
        assert (m.Money(150) + m.Money(275)).cents == 425

    def test_add_currency_mismatch(self):
        with pytest.raises(m.PricingError):
            m.Money(1) + m.Money(1, "USD")

    @pytest.mark.parametrize("cents,text", [(0, "0.00 EUR"), (5, "0.05 EUR"),
                                            (1234, "12.34 EUR"), (-250, "-2.50 EUR")])
    def test_str(self, cents, text):
        assert str(m.Money(cents)) == text

    def test_scale_rounds_half_up(self):
        assert m.Money(5).scale(Decimal("0.5")).cents == 3

    def test_frozen(self):
        with pytest.raises(AttributeError):
            m.Money(1).cents = 2


class TestBasket:
    def test_add_merges_lines(self):
        basket = m.Basket()
        basket.add("a", 100, 2)
        basket.add("a", 100, 3)
        assert len(basket.lines) == 1 and basket.quantity() == 5

    def test_remove(self):
        basket = m.Basket()
        basket.add("a", 100)
        assert basket.remove("a") and not basket.remove("a")

    def test_subtotal(self):
        basket = m.Basket()
        basket.add("a", 100, 2)
        basket.add("b", 250)
        assert basket.subtotal().cents == 450

    def test_bad_quantity(self):
        basket = m.Basket()
        basket.add("a", 100, 0)
        with pytest.raises(m.PricingError):
            basket.total()

    def test_total_includes_tax(self):
        basket = m.Basket()
        basket.add("a", 10000)
        assert basket.total().cents == int(10000 * (1 + m.TAX_RATE))

    def test_member_pays_less(self):
        plain, member = m.Basket(), m.Basket(member=True)
        for basket in (plain, member):
            basket.add("a", 999, 3)
        assert member.total().cents < plain.total().cents


@pytest.mark.parametrize("cents", [100, 700, 1500, 2900])
def test_table_monotonic_in_quantity(table, cents):
    row = [table[(cents, q)] for q in range(1, m.BULK * 5, 3)]
    assert all(b > 0 for b in row)
    assert len(row) == len(set(row))


def test_table_size(table):
    assert len(table) == 30 * len(range(1, m.BULK * 5, 3))


@pytest.mark.parametrize("quantity", [0, 1, m.BULK * 4, m.BULK * 4 + 1, m.BULK * 13])
def test_cheapest_split(quantity):
    parts = m.cheapest_split(100, quantity)
    assert sum(parts) == quantity
    assert all(0 < p <= m.BULK * 4 for p in parts)


def test_many_baskets_slower():
    totals = [m.Basket(lines=[m.Line(f"s{i}", m.Money(i * 10 + 1), i % 7 + 1)]).total().cents
              for i in range(6000)]
    assert min(totals) > 0
'''

TEXT_TESTS = '''
@pytest.fixture(scope="module")
def corpus():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    return " ".join(words[(i * 7) % len(words)] for i in range(4000))


@pytest.mark.parametrize("text,slug", [("Hello World", "hello-world"),
                                       ("  Crème brûlée! ", "creme-brulee"),
                                       ("a--b__c", "a-b-c"), ("", ""),
                                       ("42 Answers", "42-answers")])
def test_slugify(text, slug):
    assert m.slugify(text) == slug


def test_slugify_separator():
    assert m.slugify("One Two", "_") == "one_two"


@pytest.mark.parametrize("width", range(8, 40, 2))
def test_wrap_respects_width(corpus, width):
    lines = m.wrap(corpus[:600], width)
    assert all(len(line) <= width for line in lines)
    assert " ".join(lines).split() == corpus[:600].split()


def test_wrap_long_word():
    assert m.wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_wrap_bad_width():
    with pytest.raises(ValueError):
        m.wrap("x", 0)


@pytest.mark.parametrize("text", ["racecar", "A man, a plan, a canal: Panama", "", "x"])
def test_palindromes(text):
    assert m.is_palindrome(text)


@pytest.mark.parametrize("text", ["python", "ab", "not one"])
def test_not_palindromes(text):
    assert not m.is_palindrome(text)


@pytest.mark.parametrize("text", ["Hello, World!", "abcxyz", "ZEBRA zebra", "123 go"])
def test_caesar_round_trip(text):
    assert m.caesar(m.caesar(text), -m.SHIFT) == text


def test_caesar_shift():
    assert m.caesar("abc", 1) == "bcd"


@pytest.mark.parametrize("a,b,distance", [("", "", 0), ("a", "", 1), ("kitten", "sitting", 3),
                                          ("flaw", "lawn", 2), ("same", "same", 0)])
def test_edit_distance(a, b, distance):
    assert m.edit_distance(a, b) == distance
    assert m.edit_distance(b, a) == distance


def test_frequencies(corpus):
    top = m.frequencies(corpus, 3)
    assert len(top) == 3
    assert top[0][1] >= top[1][1] >= top[2][1]


class TestTitleCase:
    def test_small_words(self):
        assert m.title_case("the lord of the rings") == "The Lord of the Rings"

    def test_single(self):
        assert m.title_case("hELLO") == "Hello"

    def test_empty(self):
        assert m.title_case("") == ""


class TestTemplate:
    def test_names(self):
        assert m.Template("{a} and {b}").names() == ["a", "b"]

    def test_render(self):
        assert m.Template("Hi {name}").render(name="Ann") == "Hi Ann"

    def test_default(self):
        assert m.Template("{x}", {"x": "d"}).render() == "d"

    def test_missing(self):
        with pytest.raises(KeyError):
            m.Template("{x}").render()


def test_tokens_to_file(tmp_path, corpus):
    path = tmp_path / "tokens.txt"
    path.write_text("\\n".join(m.tokens(corpus[:2000])))
    assert path.read_text().count("\\n") == len(m.tokens(corpus[:2000])) - 1


def test_distance_matrix_slower(corpus):
    words = corpus.split()[:85]
    total = sum(m.edit_distance(a, b) for a in words for b in words)
    assert total > 0
'''

GRAPH_TESTS = '''
@pytest.fixture(scope="module")
def city():
    return m.grid(30, 30)


@pytest.fixture
def small():
    graph = m.Graph()
    for a, b, w in [("a", "b", 1), ("b", "c", 2), ("a", "c", 5), ("c", "d", 1), ("e", "f", 1)]:
        graph.add_edge(a, b, w)
    return graph


def test_nodes(small):
    assert small.nodes() == ["a", "b", "c", "d", "e", "f"]


def test_negative_weight():
    with pytest.raises(ValueError):
        m.Graph().add_edge("a", "b", -1)


def test_bfs(small):
    assert small.bfs("a") == ["a", "b", "c", "d"]


def test_dfs(small):
    assert small.dfs("a") == ["a", "b", "c", "d"]


def test_shortest(small):
    assert small.shortest("a", "d") == (4, ["a", "b", "c", "d"])


def test_no_route(small):
    with pytest.raises(KeyError):
        small.shortest("a", "f")


def test_topological(small):
    order = small.topological()
    assert order.index("a") < order.index("b") < order.index("c") < order.index("d")


def test_cycle():
    graph = m.Graph()
    graph.add_edge("x", "y")
    graph.add_edge("y", "x")
    with pytest.raises(m.CycleError):
        graph.topological()


def test_components(small):
    assert sorted(map(sorted, small.components())) == [["a", "b", "c", "d"], ["e", "f"]]


@pytest.mark.parametrize("x,y", [(x, y) for x in range(0, 30, 5) for y in range(0, 30, 5)])
def test_grid_routes(city, x, y):
    cost, path = city.shortest("0,0", f"{x},{y}")
    assert path[0] == "0,0" and path[-1] == f"{x},{y}"
    assert cost >= x + y


@pytest.mark.parametrize("length", [2, 5, 10, 50, 200])
def test_chain_order(length):
    graph = m.chain(length)
    assert graph.topological() == graph.bfs("n0000") == graph.dfs("n0000")


class TestCity:
    def test_size(self, city):
        assert len(city.nodes()) == 900

    def test_reachable(self, city):
        assert len(city.bfs("0,0")) == 900

    def test_one_component(self, city):
        assert len(city.components()) == 1

    def test_topological_is_complete(self, city):
        assert len(city.topological()) == 900


@pytest.mark.parametrize("goal", ["29,29", "29,0", "0,29", "15,29"])
def test_long_route_slower(city, goal):
    cost, path = city.shortest("0,0", goal)
    assert path[-1] == goal and cost >= len(path) - 1
'''

INVENTORY_TESTS = '''
EVENTS = [("receive", f"sku{i % 17}", 5 + i % 11) for i in range(300)] + [
    ("reserve", f"sku{i % 17}", 1 + i % 4) for i in range(200)]


@pytest.fixture(scope="module")
def busy():
    return m.replay(EVENTS)


@pytest.fixture
def house():
    house = m.Warehouse()
    house.receive("apple", 10)
    house.receive("pear", 3)
    return house


def test_receive(house):
    assert house.item("apple").on_hand == 10


def test_receive_positive(house):
    with pytest.raises(m.StockError):
        house.receive("apple", 0)


def test_unknown(house):
    with pytest.raises(m.StockError, match="unknown sku"):
        house.item("kiwi")


@pytest.mark.parametrize("quantity,ok", [(1, True), (3, True), (4, False)])
def test_reserve(house, quantity, ok):
    assert house.reserve("pear", quantity) is ok
    assert house.item("pear").reserved == (quantity if ok else 0)


def test_reserve_positive(house):
    with pytest.raises(m.StockError):
        house.reserve("pear", -1)


def test_release(house):
    house.reserve("apple", 4)
    house.release("apple", 3)
    assert house.item("apple").available == 9


def test_release_too_much(house):
    with pytest.raises(m.StockError):
        house.release("apple", 1)


def test_ship(house):
    house.reserve("apple", 4)
    house.ship("apple", 4)
    assert house.item("apple").on_hand == 6


def test_ship_unreserved(house):
    with pytest.raises(m.StockError):
        house.ship("apple", 1)


@pytest.mark.parametrize("on_hand", range(1, 90, 3))
def test_reorders(on_hand):
    house = m.Warehouse()
    house.receive("x", on_hand)
    wanted = house.reorders()
    if on_hand >= m.REORDER_LEVEL:
        assert wanted == {}
    else:
        assert wanted["x"] % m.REORDER_BATCH == 0
        assert on_hand + wanted["x"] >= m.REORDER_LEVEL


def test_value(house):
    assert house.value({"apple": 2, "kiwi": 100}) == 20


def test_report(house):
    lines = house.report()
    assert lines[0].startswith("apple") and lines[1].startswith("pear")


class TestReplay:
    def test_counts(self, busy):
        assert len(busy.items) == 17

    def test_never_negative(self, busy):
        assert all(item.available >= 0 for item in busy.items.values())

    def test_history(self, busy):
        assert sum(len(item.history) for item in busy.items.values()) == len(EVENTS)

    def test_unknown_action(self):
        with pytest.raises(m.StockError):
            m.replay([("steal", "x", 1)])

    @pytest.mark.parametrize("sku", [f"sku{i}" for i in range(17)])
    def test_report_lines(self, busy, sku):
        assert any(line.startswith(sku + " ") for line in busy.report())


def test_snapshot_file(tmp_path, busy):
    path = tmp_path / "stock.txt"
    path.write_text("\\n".join(busy.report()))
    assert len(path.read_text().splitlines()) == 17


def test_long_replay_slower():
    events = [("receive", f"s{i % 50}", 3) for i in range(24000)]
    events += [("reserve", f"s{i % 50}", 2) for i in range(24000)]
    assert len(m.replay(events).reorders()) >= 0
'''

PARSING_TESTS = '''
import math


@pytest.mark.parametrize("text,value", [
    ("1 + 2", 3), ("2 * 3 + 4", 10), ("2 * (3 + 4)", 14), ("2 ^ 3 ^ 2", 512),
    ("-3 + 5", 2), ("10 / 4", 2.5), ("sqrt(16)", 4), ("abs(-2.5)", 2.5),
    ("floor(7.9)", 7), ("--2", 2), ("1.5 * 2", 3), ("(((1)))", 1),
])
def test_evaluate(text, value):
    assert m.evaluate(text) == value


@pytest.mark.parametrize("x", range(-10, 11))
def test_names(x):
    assert m.evaluate("x * x - 2 * x + 1", x=x) == (x - 1) ** 2


def test_scale():
    assert m.evaluate("scale(3)") == 3 * m.SCALE


@pytest.mark.parametrize("text", ["1 +", "(1", "1 2", "foo", "1 $ 2", "sqrt 4", "1..2"])
def test_errors(text):
    with pytest.raises(m.ParseError):
        m.evaluate(text)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        m.evaluate("1 / (2 - 2)")


@pytest.mark.parametrize("line,fields", [
    ("a,b,c", ["a", "b", "c"]), ('"a,b",c', ["a,b", "c"]), ('"say ""hi""",x', ['say "hi"', "x"]),
    ("", [""]), ("a,,b", ["a", "", "b"]),
])
def test_split_csv(line, fields):
    assert m.split_csv(line) == fields


def test_split_csv_unterminated():
    with pytest.raises(m.ParseError):
        m.split_csv('"open')


def test_split_csv_delimiter():
    assert m.split_csv("a;b", ";") == ["a", "b"]


class TestConfig:
    TEXT = "name = demo  # comment\\nport = 8080\\ndebug = true\\n\\nneg = -3\\nq = \\"x\\"\\n"

    def test_values(self):
        assert m.parse_config(self.TEXT) == {"name": "demo", "port": 8080, "debug": True,
                                             "neg": -3, "q": "x"}

    def test_bad_line(self):
        with pytest.raises(m.ParseError, match="line 1"):
            m.parse_config("oops")

    def test_from_file(self, tmp_path):
        path = tmp_path / "app.cfg"
        path.write_text(self.TEXT)
        assert m.parse_config(path.read_text())["port"] == 8080


@pytest.mark.parametrize("n", range(1, 25))
def test_polynomials(n):
    text = " + ".join(f"{k} * x ^ {k}" for k in range(n))
    assert math.isclose(m.evaluate(text, x=1.0), sum(range(n)))


def test_many_formulas_slower():
    total = sum(m.evaluate(f"(x + {i}) * 2 - x / 4", x=float(i)) for i in range(4800))
    assert total > 0
'''

CACHE_TESTS = '''
class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="module")
def traffic():
    return [(i * 7919) % 97 for i in range(20000)]


def test_capacity():
    with pytest.raises(ValueError):
        m.LRU(0)


def test_get_default():
    assert m.LRU().get("missing", 5) == 5


def test_evicts_least_recent():
    cache = m.LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and len(cache) == 2


def test_overwrite():
    cache = m.LRU(2)
    cache.put("a", 1)
    cache.put("a", 2)
    assert cache.get("a") == 2 and cache.evictions == 0


def test_ratio_empty():
    assert m.LRU().ratio() == 0.0


@pytest.mark.parametrize("capacity", [1, 2, 4, 8, 16, 32, 64, 97, 128])
def test_simulate(traffic, capacity):
    hits, misses, evictions = m.simulate(traffic[:3000], capacity)
    assert hits + misses == 3000
    if capacity >= 97:
        assert evictions == 0


class TestTTL:
    def test_fresh(self, clock):
        cache = m.TTLCache(clock)
        cache.put("k", "v")
        assert cache.get("k") == "v"

    def test_expired(self, clock):
        cache = m.TTLCache(clock)
        cache.put("k", "v")
        clock.now += m.TTL
        with pytest.raises(KeyError):
            cache.get("k")

    def test_missing(self, clock):
        with pytest.raises(KeyError):
            m.TTLCache(clock).get("nope")

    @pytest.mark.parametrize("age", [0, 1, m.TTL - 1, m.TTL, m.TTL * 2])
    def test_purge(self, clock, age):
        cache = m.TTLCache(clock)
        for key in range(10):
            cache.put(key, key)
        clock.now += age
        assert cache.purge() == (10 if age >= m.TTL else 0)


@pytest.mark.parametrize("n,value", [(0, 0), (1, 1), (2, 1), (10, 55), (30, 832040),
                                     (60, 1548008755920)])
def test_fibonacci(n, value):
    assert m.fibonacci(n) == value


def test_memoize_caches():
    calls = []

    @m.memoize
    def square(x):
        calls.append(x)
        return x * x

    assert square(3) == square(3) == 9
    assert calls == [3] and square.cache == {(3,): 9}


@pytest.mark.parametrize("key", range(24))
def test_lru_roundtrip(key):
    cache = m.LRU(4)
    cache.put(key, str(key))
    assert cache.get(key) == str(key)


def test_big_simulation_slower(traffic):
    hits, misses, _ = m.simulate(traffic * 8, 50)
    assert hits + misses == 160000
'''

TESTS = {"pricing": PRICING_TESTS, "text": TEXT_TESTS, "graph": GRAPH_TESTS,
         "inventory": INVENTORY_TESTS, "parsing": PARSING_TESTS, "cache": CACHE_TESTS}

CONFTEST = '''
"""Session fixtures with a setup cost, as real suites have (a catalogue, a settings file)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def catalogue():
    return {f"sku{i:05d}": {"price": (i * 37) % 1000 + 1, "tags": [f"t{i % 13}", f"t{i % 7}"]}
            for i in range(30000)}


@pytest.fixture(scope="session")
def settings_file(tmp_path_factory, catalogue):
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_text(json.dumps({"skus": sorted(catalogue)[:500]}))
    return path


@pytest.fixture(autouse=True)
def _reset_environment(monkeypatch):
    monkeypatch.setenv("ACME_MODE", "test")
'''

SESSION_TESTS = '''
"""Tests that use the session fixtures (acme.@KIND@)."""

from __future__ import annotations

import json
import os

import pytest


def test_catalogue_size(catalogue):
    assert len(catalogue) == 30000


@pytest.mark.parametrize("tag", [f"t{i}" for i in range(13)])
def test_catalogue_tags(catalogue, tag):
    assert any(tag in item["tags"] for item in list(catalogue.values())[:200])


def test_settings(settings_file):
    assert len(json.loads(settings_file.read_text())["skus"]) == 500


def test_mode():
    assert os.environ["ACME_MODE"] == "test"
'''

PYPROJECT = f'''
[project]
name = "{PACKAGE}"
version = "1.0.0"
requires-python = ">=3.10"

[tool.pytest.ini_options]
addopts = "-m 'not slow'"
markers = ["slow: the exhaustive parametrised set, run nightly"]
testpaths = ["tests"]
pythonpath = ["src"]

[tool.coverage.run]
branch = true
source = ["{PACKAGE}"]

[tool.coverage.report]
precision = 2
'''


AUTO_HISTORY = ".tower/auto-history.jsonl"  # gates-auto.toml's own history (a bench fills it)


def gates_text(workers: int | str) -> str:
    return (f'[unit.tests]\npaths = ["tests"]\nsource = ["{PACKAGE}"]\nworkers = {workers}\n'
            'conditions = ["failed == 0", "coverage >= 50%"]\n')


def write(dest: Path, slow_per_module: int = SLOW_PER_MODULE) -> Path:
    """Write the project into dest (created); return dest."""
    src = dest / "src" / PACKAGE
    tests = dest / "tests"
    src.mkdir(parents=True)
    tests.mkdir()
    (src / "__init__.py").write_text(f'"""The {PACKAGE} demo package."""\n')
    for kind in KINDS:
        (src / kind).mkdir()
        (src / kind / "__init__.py").write_text("")
        (tests / f"test_session_{kind}.py").write_text(_fill(SESSION_TESTS, KIND=kind))
        for n in range(VARIANTS):
            (src / kind / f"mod{n}.py").write_text(
                _fill(MODULES[kind], N=n, **module_values(kind, n)))
            slow = _fill(SLOW, SLOW=slow_per_module) if slow_per_module else ""
            (tests / f"test_{kind}_{n}.py").write_text(
                _fill(HEADER, KIND=kind, N=n) + _fill(TESTS[kind]) + slow)
    (tests / "conftest.py").write_text(_fill(CONFTEST))
    (dest / "pyproject.toml").write_text(_fill(PYPROJECT))
    (dest / "gates.toml").write_text(gates_text(1))
    (dest / "gates-workers2.toml").write_text(gates_text(2))
    (dest / "gates-auto-own.toml").write_text(gates_text('"auto"'))
    (dest / "gates-auto.toml").write_text(f'[tower]\nhistory = "{AUTO_HISTORY}"\n\n'
                                          + gates_text('"auto"'))
    return dest


def counts(root: Path, python: str) -> tuple[int, int]:
    """(tests that run, tests deselected) as pytest collects them, so benches check runs."""
    proc = subprocess.run([python, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"],
                          cwd=root, capture_output=True, text=True, check=False)
    found = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", proc.stdout)
    if found is not None and proc.returncode == 0:
        return int(found.group(1)), int(found.group(3))
    alone = re.search(r"^(\d+) tests? collected", proc.stdout, re.MULTILINE)  # none deselected
    if alone is not None and proc.returncode == 0:
        return int(alone.group(1)), 0
    raise RuntimeError(f"collecting {root} failed: {proc.stdout[-2000:]}{proc.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--slow-per-module", type=int, default=SLOW_PER_MODULE)
    args = parser.parse_args()
    write(args.dest, args.slow_per_module)
    run, deselected = counts(args.dest, sys.executable)
    print(f"wrote {args.dest}: {run} tests run, {deselected} deselected by addopts")


if __name__ == "__main__":
    main()
