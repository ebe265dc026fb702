"""`pytest --tower-status [ENV]`: each environment's releases, read from its state.json.

The deployment status a person checks before and after a rollback: which
release serves (current), which one the gate falls back to (verified), the
verified one before it (what `--tower-rollback ENV` returns to), and every
release with when, by whom and in which run it was deployed. Read-only: no
lock is taken, nothing is probed (a dead process shows as recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.environments.model import EnvError
from pytest_tower.environments.on_demand import previous_verified
from pytest_tower.environments.state import VERIFIED, EnvState

if TYPE_CHECKING:
    from pytest_tower.core.env_config import EnvEntry

SHOWN = 10  # releases listed per environment, newest first


def render_status(entries: Sequence[EnvEntry], state_dir: Path) -> str:
    if not entries:
        return "pytest-tower: gates.toml declares no [environments.NAME]\n"
    lines: list[str] = []
    for entry in entries:
        lines += _environment(entry, EnvState(state_dir / entry.name))
    return "\n".join(lines) + "\n"


def _environment(entry: EnvEntry, state: EnvState) -> list[str]:
    kind = f"{entry.spec.strategy}{', promote-only' if entry.promote else ''}"
    head = f"{entry.name} ({kind})"
    try:
        data = state.load()
    except EnvError as exc:
        return [f"{head}: cannot read its state: {exc}", ""]
    history: list[dict[str, Any]] = data["history"]
    if not history:
        return [f"{head}: never deployed", ""]
    current, verified = data.get("current"), data.get("verified")
    previous = _previous(history, current)
    lines = [head,
             f"  current:  {_one(history, current)}",
             f"  verified: {_one(history, verified)}",
             f"  previous: {_one(history, previous)}"
             + ("" if previous else "  (a rollback on demand would be refused)"),
             "  releases (newest first):"]
    for e in list(reversed(history))[:SHOWN]:
        mark = "*" if e["release"] == current else " "
        lines.append(f"   {mark}{_line(e)}")
    if len(history) > SHOWN:
        lines.append(f"    ... and {len(history) - SHOWN} older")
    return [*lines, ""]


def _previous(history: list[dict[str, Any]], current: str | None) -> str | None:
    """The verified release before the current one: where a rollback on demand goes."""
    now = next((e for e in history if e["release"] == current), None)
    earlier = previous_verified(history, now) if now is not None else None
    return earlier["release"] if earlier is not None else None


def _one(history: list[dict[str, Any]], release: str | None) -> str:
    entry = next((e for e in reversed(history) if e["release"] == release), None)
    return _line(entry) if entry is not None else "none"


def _line(e: dict[str, Any]) -> str:
    parts = [f"{e['release']:<5} {e.get('status', '?'):<11}",
             f"version {e['version']}" if e.get("version") else "",
             f"deployed {e['started']}" if e.get("started") else "",
             f"by {e['by']}" if e.get("by") else "",
             f"({e['run']})" if e.get("run") else "",
             f"verified {e['verified_at']}" if e.get("verified_at") else "",
             f"at {e['url']}" if e.get("url") else ""]
    for key, what in (("restored", "rolled back to"), ("rolled_back", "rolled back")):
        done = e.get(key)
        if isinstance(done, dict) and done:
            parts.append(f"[{what} by {done.get('by')} at {done.get('at')}]")
    if e.get("status") != VERIFIED and e.get("reason"):
        parts.append(f"- {e['reason']}")
    return " ".join(p for p in parts if p)

