"""`pytest --tower-show`: the last run and a metric's trend, for a terminal.

For people on a server over ssh, or in a CI log: the same history the HTML
page draws, as text, with a sparkline per series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_tower.core.names import check_key
from pytest_tower.history.store import DURATION, resolve_series, series_keys, series_values

if TYPE_CHECKING:
    import pytest

BARS = "▁▂▃▄▅▆▇█"
DEFAULT_WIDTH = 40


def render_show(history: Sequence[Mapping[str, Any]], metric: str | None = None,
                width: int = DEFAULT_WIDTH) -> str:
    """Text for the terminal; `metric` is `stage::check:name`, a bare name, or `duration`."""
    if not history:
        return "pytest-tower: no runs recorded yet (run `pytest --tower` first)\n"
    lines = _last_run(history[-1], len(history))
    note = getattr(history, "note", "")  # read_history says what it could not read
    if note:
        lines[1] = lines[1][:-1] + f"; {note})"
    if metric:
        lines.append("")
        keys = resolve_series(history, metric)
        if not keys:
            known = ", ".join(k for k in series_keys(history))
            lines.append(f"no metric {metric!r} in history; known: {known}")
        label_width = max(len(_label(k)) for k in keys) if keys else 0
        for key in keys:
            lines.append(_trend_line(history, key, width, label_width))
    return "\n".join(lines) + "\n"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled between min and max; a gap (space) where a run had none."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(BARS[len(BARS) // 2 - 1] if high else BARS[0])
        else:
            out.append(BARS[min(int((v - low) / span * len(BARS)), len(BARS) - 1)])
    return "".join(out)


def _last_run(run: Mapping[str, Any], count: int) -> list[str]:
    where = ", ".join(x for x in (
        f"branch {run['branch']}" if run.get("branch") else "",
        f"commit {str(run['commit'])[:12]}" if run.get("commit") else "",
        f"{run['duration_s']:.1f}s" if _num(run.get("duration_s")) else "") if x)
    verdict = str(run.get("verdict") or "?").upper()
    lines = [f"last run: {verdict}  {run.get('started') or ''}" + (f"  ({where})" if where else ""),
             f"({count} runs in history)"]
    checks = run.get("checks") or []
    width = max((len(check_key(c.get('stage'), c.get('check'))) for c in checks), default=0) + 2
    for c in checks:
        metrics = c.get("metrics") or {}
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics.items() if "[" not in k)
        dur = f"{c['duration_s']:.2f}s" if _num(c.get("duration_s")) else ""
        lines.append(f"  {str(c.get('stage')) + '::' + str(c.get('check')):<{width}}"
                     f"{c.get('verdict')!s:<8} {dur:>8}  {shown}".rstrip())
    return lines


def _trend_line(history: Sequence[Mapping[str, Any]], key: str, width: int,
                label_width: int) -> str:
    values = series_values(history, key)[-max(width, 1):]
    present = [v for v in values if v is not None]
    if not present:
        return f"{_label(key):<{label_width}}  no values"
    last = next(v for v in reversed(values) if v is not None)
    return (f"{_label(key):<{label_width}}  {sparkline(values)}  "
            f"min {_fmt(min(present))}  max {_fmt(max(present))}  last {_fmt(last)}"
            f"  ({len(present)} runs)")


def _label(key: str) -> str:
    return "gate duration" if key == DURATION else key


def _fmt(value: Any) -> str:
    return f"{value:g}" if _num(value) else str(value)


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def show_history(config: pytest.Config, metric: str | None) -> int:
    """`pytest --tower-show [METRIC]`: print from the history file; exit 0, or 4 if none."""
    import shutil
    import sys

    from pytest_tower.history.store import DEFAULT_HISTORY, read_history
    from pytest_tower.run.start import gates_path
    from pytest_tower.run.stubs import tower_setting

    gates = gates_path(config)
    history = gates.parent / DEFAULT_HISTORY
    named = tower_setting(gates, "history")  # None: not set, or no readable gates.toml
    if named is not None:
        if not isinstance(named, str) or not named or "\0" in named:
            sys.stderr.write(f"ERROR: pytest-tower: {gates}: [tower] history: expected a path "
                             f"to a file, got {named!r}\n")
            return 4
        history = gates.parent / named
    if not history.exists():
        sys.stderr.write(f"ERROR: pytest-tower: no history at {history}: run pytest --tower "
                         "first\n")
        return 4
    runs = read_history(history)
    if runs.problem:
        sys.stderr.write(f"ERROR: pytest-tower: {runs.problem}\n")
        return 4
    width = max(10, shutil.get_terminal_size().columns - 60)
    sys.stdout.write(render_show(runs, metric, width))
    return 0
