"""What the project's bandit configuration makes bandit run: the tests it selects and
skips (`.bandit`, the `-c` config, or the config a `.bandit` names as `configfile`;
`B001` is the whole blacklist family) and the plugin settings it changes.

bandit's JSON report does not say which tests ran or with which settings, so this
reads the configuration as bandit itself merges it (bandit/cli/main.py, core/test_set.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_tower.core.model import ToolError


def config_excludes(config: Path, where: str) -> list[str]:
    """`exclude_dirs` of a bandit config (YAML or pyproject [tool.bandit])."""
    data = config_data(config, where)
    dirs = data.get("exclude_dirs", [])
    return [str(d) for d in dirs] if isinstance(dirs, list) else []


def config_data(config: Path, where: str) -> dict[str, Any]:
    """A bandit config file (YAML, or pyproject's [tool.bandit]) as a mapping."""
    try:
        text = config.read_text(encoding="utf-8")
        if config.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text).get("tool", {}).get("bandit", {})
        else:
            import yaml

            data = yaml.safe_load(text) or {}
    except Exception as exc:
        raise ToolError(f"cannot read bandit config {config}: {exc}",
                        fix=f"fix the file or `config` in {where}") from None
    return data if isinstance(data, dict) else {}


def ini_value(ini: Path | None, key: str, root: Path) -> Path | None:
    """A path option of the .bandit file (`configfile`), as bandit opens it (from the
    folder it runs in: the project root)."""
    if ini is None:
        return None
    import configparser

    parser = configparser.ConfigParser()
    with contextlib.suppress(configparser.Error, UnicodeDecodeError):
        parser.read(ini, encoding="utf-8")
    value = parser.get("bandit", key, fallback="").strip()
    return root / value if value else None


def selection(ini: Path | None, config: Path | None, where: str) -> tuple[set[str], set[str]]:
    """The tests the project's bandit config selects (`tests`) and skips (`skips`).

    As bandit merges them: the .bandit file's and the config's lists add up (the
    config is the check's `config`, else the .bandit file's `configfile`), and so
    does the `profile` the .bandit file names from the config's `profiles`.
    """
    selected: set[str] = set()
    skipped: set[str] = set()
    profile = ""
    if ini is not None:
        import configparser

        parser = configparser.ConfigParser()
        with contextlib.suppress(configparser.Error, UnicodeDecodeError):
            parser.read(ini, encoding="utf-8")
        selected |= ids(parser.get("bandit", "tests", fallback=""))
        skipped |= ids(parser.get("bandit", "skips", fallback=""))
        profile = parser.get("bandit", "profile", fallback="").strip()
    if config is not None:
        data = config_data(config, where)
        selected |= ids(data.get("tests"))
        skipped |= ids(data.get("skips"))
        chosen = (data.get("profiles") or {}).get(profile) if profile and isinstance(
            data.get("profiles"), dict) else None
        if isinstance(chosen, dict):
            selected |= ids(chosen.get("include"))
            skipped |= ids(chosen.get("exclude"))
    return selected, skipped


BLACKLIST = "B001"
"""bandit's id for its whole blacklist family: `skips = B001` skips every B3xx/B4xx test
(unless the same list names one of them), `tests = B001` selects them all."""


def blacklist_family(ids: set[str], known: Mapping[str, str]) -> set[str]:
    """`ids` as bandit's test_set reads them: B001 alone stands for every blacklist test."""
    if BLACKLIST not in ids:
        return ids
    family = {t for t in known if t[:2] in ("B3", "B4")}
    return (ids if ids & family else ids | family) - {BLACKLIST}


PLUGIN_SETTINGS = {"shell_injection": ["B602", "B603", "B604", "B605", "B606", "B607",
                                        "B609"],
                    "assert_used": ["B101"], "hardcoded_tmp_directory": ["B108"],
                    "markupsafe_xss": ["B704"], "ssl_with_bad_version": ["B502", "B503"],
                    "try_except_continue": ["B112"], "try_except_pass": ["B110"],
                    "weak_cryptographic_key": ["B505"]}
"""Config block -> the tests that read it (`@takes_config`), when bandit's plugins cannot
be asked (bandit 1.9)."""


def plugin_settings() -> tuple[dict[str, list[str]], dict[str, Any]]:
    """(settings block -> test ids, block -> bandit's default), from bandit's plugins."""
    blocks: dict[str, list[str]] = {}
    defaults: dict[str, Any] = {}
    try:
        import sys
        from importlib.metadata import entry_points

        for ep in entry_points(group="bandit.plugins"):
            func = ep.load()
            block = getattr(func, "_takes_config", None)
            if isinstance(block, str):
                blocks.setdefault(block, []).append(str(getattr(func, "_test_id", "?")))
                gen = getattr(sys.modules.get(func.__module__), "gen_config", None)
                if callable(gen) and block not in defaults:
                    defaults[block] = gen(block)
    except Exception:
        return dict(PLUGIN_SETTINGS), {}
    return (blocks or dict(PLUGIN_SETTINGS)), defaults


def weakened_tests(config: Path, ran: list[str], where: str) -> dict[str, list[str]]:
    """Settings block -> the tests (that ran) whose settings the config changes from
    bandit's defaults: `shell_injection: {subprocess: []}` leaves B602 nothing to find."""
    data = config_data(config, where)
    blocks, defaults = plugin_settings()
    out: dict[str, list[str]] = {}
    for block, ids in blocks.items():
        if block not in data or (block in defaults and data[block] == defaults[block]):
            continue
        hit = sorted(set(ids) & set(ran))
        if hit:
            out[block] = hit
    return out


def ids(value: Any) -> set[str]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(
        value, list) else []
    return {str(i).strip() for i in items if str(i).strip()}


def tests_run(known: Mapping[str, str], selected: set[str], skipped: set[str],
               where: str) -> list[str]:
    """The test ids bandit ran, as it picks them: `tests` (or all) minus `skips`.

    Only ids count: bandit ignores a test's name (`hardcoded_password_string`) there.
    """
    if not known:
        raise ToolError("`bandit -h` did not list bandit's tests: cannot tell which ran",
                        fix="make sure `executable` is bandit >= 1.9")
    selected = blacklist_family(selected, known)
    skipped = blacklist_family(skipped, known)
    chosen = selected if selected else set(known)
    ran = sorted((chosen - skipped) & set(known))
    if not ran:
        raise ToolError("the project's bandit config leaves no test to run: nothing was "
                        "checked", fix=f"fix `tests`/`skips` in the bandit config ({where})")
    return ran
