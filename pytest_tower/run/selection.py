"""Which gates a run covers, and who asked for that.

Only the command line makes a partial run. pytest puts ini `addopts` in
front of the command line, so a project's `addopts = -k "not integration"`
would silently drop a gate; with --tower, the selection options that came
from ini files are reset to what the command line (and PYTEST_ADDOPTS, which
the person running pytest sets) alone says. They still apply inside the
child pytest of a test stage, where they belong. PYTEST_ADDOPTS counts as
the command line but is named in the output when it selects.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

# option dest -> how a person writes it; each can drop or skip gates.
SELECTION = {"keyword": "-k", "markexpr": "-m", "deselect": "--deselect",
             "ignore": "--ignore", "ignore_glob": "--ignore-glob", "lf": "--lf",
             "stepwise": "--sw", "stepwise_skip": "--sw-skip", "maxfail": "-x/--maxfail",
             "collectonly": "--collect-only"}
# options that select a subset of the gates (-x/--maxfail only stops early after a failure).
SUBSET = ("keyword", "markexpr", "deselect", "lf", "stepwise", "stepwise_skip")


@dataclass
class Selection:
    """What the command line selected, and the notes the run prints about selection."""

    cli_selects: bool = False
    args: list[str] = field(default_factory=list)  # positional args from the command line
    notes: list[str] = field(default_factory=list)


SELECTION_KEY = pytest.StashKey[Selection]()


def command_line_only(config: pytest.Config) -> Selection:
    """Reset selection options that came from ini files; say what was ignored."""
    cli = [str(a) for a in config.invocation_params.args]
    env = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    own = _parse(config, env + cli)
    cli_only = _parse(config, cli) if env else own
    selection = Selection()
    for dest, flag in SELECTION.items():
        if not hasattr(own, dest) or not hasattr(config.option, dest):
            continue
        value, wanted = getattr(config.option, dest), getattr(own, dest)
        if value != wanted:
            setattr(config.option, dest, wanted)
            selection.notes.append(f"ini addopts {flag} {_show(value)} ignored for the gates "
                                   "(selection comes from the command line only)")
        if getattr(cli_only, dest) != wanted:
            selection.notes.append(f"PYTEST_ADDOPTS selects gates: {flag} {_show(wanted)}")
    args = getattr(own, "file_or_dir", None) or []
    selection.args = [str(a) for a in args]
    selection.cli_selects = any(bool(getattr(own, d, None)) for d in SUBSET) or any(
        "::" in str(a) for a in args)
    return selection


# pytest's listing options: they exit 0 whatever happened, so they cannot carry a verdict.
LISTINGS = {"showfixtures": "--fixtures", "show_fixtures_per_test": "--fixtures-per-test",
            "markers": "--markers"}


def refuse_listing(config: pytest.Config) -> None:
    """--fixtures and friends with --tower: a usage error, and the report says so."""
    used = [flag for dest, flag in LISTINGS.items() if getattr(config.option, dest, False)]
    if not used:
        return
    message = (f"pytest-tower: {used[0]} lists pytest's own information and runs no gate; "
               "run it without --tower (pytest --tower --collect-only lists the gates)")
    from pytest_tower.run.start import TARGETS_KEY

    targets = config.stash.get(TARGETS_KEY, None)
    if targets is not None and targets.report is not None:
        import contextlib

        from pytest_tower.report.json_report import write_config_error

        with contextlib.suppress(OSError):
            write_config_error(targets.report, message, summary="usage error")
    raise pytest.UsageError(message)


def _parse(config: pytest.Config, args: Sequence[str]) -> Any:
    """The options `args` alone give (pytest's defaults elsewhere)."""
    return config._parser.parse_known_args(list(args))


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(shlex.quote(str(v)) for v in value)
    return shlex.quote(str(value)) if isinstance(value, str) else str(value)


def with_needs(items: list[Any], collected: list[Any], pipeline: Any) -> list[Any]:
    """`items` plus every collected check they need (transitively), in collection order.

    --lf re-runs what failed; a check that was blocked must also get what it
    needs back, or it would run on its own and prove nothing about them.
    """
    by_id = {i.spec.id: i for i in collected if hasattr(i, "spec")}
    wanted = {id(i) for i in items}
    todo = [i for i in items if hasattr(i, "spec")]
    while todo:
        spec = todo.pop().spec
        for need in (n for ref in spec.needs for n in pipeline.resolve(ref)):
            item = by_id.get(need.id)
            if item is not None and id(item) not in wanted:
                wanted.add(id(item))
                todo.append(item)
    return [i for i in collected if id(i) in wanted]


def cli_dropped(config: pytest.Config, nodeids: list[str], collected: list[Any],
                args: list[str]) -> set[str]:
    """The gates (node ids) that the command line's own selection leaves out.

    Applied to the gate list here, not taken from what is missing at the end:
    a gate that a conftest.py hook or a plugin dropped is not excused by a
    `-m "not slow"` that would have kept it. Node ids on the command line,
    `-k`, `-m` and `--deselect`; --lf and --sw drop what pytest reports as
    deselected (see TowerSession.pytest_deselected).
    """
    from _pytest.mark import KeywordMatcher, MarkMatcher, _parse_expression

    items = {i.nodeid: i for i in collected if hasattr(i, "spec")}
    keyword = (getattr(config.option, "keyword", "") or "").lstrip()
    markexpr = getattr(config.option, "markexpr", "") or ""
    kexpr = _parse_expression(keyword, "Wrong expression passed to '-k'") if keyword else None
    mexpr = _parse_expression(markexpr, "Wrong expression passed to '-m'") if markexpr else None
    prefixes = tuple(str(d) for d in (getattr(config.option, "deselect", None) or []))
    wanted = [a.split("::")[1:] for a in args if "::" in a]

    def kept(nodeid: str) -> bool:
        parts = nodeid.split("::")[1:]
        item = items.get(nodeid)  # None: dropped before -k/-m could see it (by a conftest?)
        keywords = (KeywordMatcher.from_item(item) if item is not None else
                    KeywordMatcher({nodeid.split("::")[0].rsplit("/", 1)[-1], *parts}))
        markers = MarkMatcher.from_markers(item.iter_markers() if item is not None else [])
        return ((not wanted or any(parts[:len(w)] == w for w in wanted))
                and not (prefixes and nodeid.startswith(prefixes))
                and (kexpr is None or kexpr.evaluate(keywords))
                and (mexpr is None or mexpr.evaluate(markers)))

    return {nodeid for nodeid in nodeids if not kept(nodeid)}
