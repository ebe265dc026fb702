"""What a command leaves behind, as metrics: output file sizes and a metrics file.

Sizes: `files`, `size`, `gzip_size` and per file `size[<path>]`,
`gzip_size[<path>]` (paths relative to gates.toml, posix). The gzip size is
that of gzip level 9 with no header timestamp: what a server sending the file
compressed costs, reproducible from run to run (bundlesize and size-limit
measure the same way). A metrics file is a JSON object of name -> number
(nested objects give dotted names); anything else in it is an error, never
a value skipped.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_tower.checks.invoke import Ran, fresh_files, show
from pytest_tower.core.model import ToolError

MAX_METRICS = 10_000


def sizes(root: Path, patterns: list[str], ran: Ran, where: str) -> dict[str, float]:
    """files, size, gzip_size and their per-file keys for the files `outputs` matches."""
    metrics: dict[str, float] = {}
    total = packed = 0
    files = fresh_files(root, patterns, ran, "outputs", where)
    for path in files:
        data = path.read_bytes()
        name = show(path, root)
        small = len(gzip.compress(data, compresslevel=9, mtime=0))
        metrics[f"size[{name}]"], metrics[f"gzip_size[{name}]"] = len(data), small
        total, packed = total + len(data), packed + small
    metrics.update({"files": len(files), "size": total, "gzip_size": packed})
    return metrics


def read_metrics_file(root: Path, name: str, ran: Ran, where: str) -> dict[str, float]:
    """value[<name>] for every number of the JSON object the command wrote to `name`."""
    (path,) = fresh_files(root, [name], ran, "metrics_file", where)
    fix = (f"make the command write a JSON object of names to numbers, e.g. "
           f'{{"p95_ms": 120, "bundle": {{"kb": 14.2}}}}, to {name}')
    try:
        data = json.loads(path.read_text(encoding="utf-8"),
                          parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ToolError(f"metrics_file {name} is not JSON ({exc})", fix=fix) from None
    if not isinstance(data, dict):
        raise ToolError(f"metrics_file {name} holds {type(data).__name__}, not a JSON object "
                        "of names to numbers", fix=fix)
    values: dict[str, float] = {}
    for key, value in _flatten(data, ""):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not _finite(value):
            raise ToolError(f"metrics_file {name}: {key!r} is {_shown(value)}, not a finite "
                            "number (every value must be one: nothing is skipped)", fix=fix)
        values[f"value[{key}]"] = float(value)
    if not values:
        raise ToolError(f"metrics_file {name} holds no metric (an empty object): nothing "
                        "was measured", fix=fix)
    if len(values) > MAX_METRICS:
        raise ToolError(f"metrics_file {name} holds {len(values)} values, more than "
                        f"{MAX_METRICS}: not a metrics file", fix=fix)
    return values


def _flatten(data: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if not value:
                yield name, value
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
