"""Collect the check types every plugin registers into one name -> CheckType map.

Each one is checked here, once, so a third-party type with a mistyped option
kind or metric unit is a usage error naming it and its plugin, not a KeyError
(an INTERNALERROR) when a gates.toml first uses it.

The built-in types are the exception to "ask the hook": their names are known
without importing them (checks.BUILTIN), so a module is imported only when a
gates.toml uses that type — a lint-only gate does not pay for bandit, SPDX or
the test-stage machinery at start-up.

Every type gets the `shard` key here (see run/shard.py) unless it declares its
own: which shard of a --tower-shard run runs the check.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator, Mapping
from typing import Any, cast

import pytest

from pytest_tower.core.model import OPTION_KINDS, UNITS, CheckType, FindingsStyle


class CheckTypes(Mapping[str, CheckType]):
    """name -> CheckType: plugins' types as given, built-in ones imported on first use."""

    def __init__(self, found: dict[str, CheckType], builtin: Mapping[str, str]) -> None:
        self._found = found
        self._builtin = builtin

    def __getitem__(self, name: str) -> CheckType:
        if name not in self._found:
            module = self._builtin[name]  # KeyError: no such type
            check_type = importlib.import_module(module).CHECK_TYPE
            _validate(check_type, module)
            if check_type.name != name:
                raise pytest.UsageError(f"pytest-tower: {module} defines {check_type.name!r}, "
                                        f"registered as {name!r}")
            self._found[name] = with_shard_key(check_type)
        return self._found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._builtin, *self._found]))

    def __len__(self) -> int:
        return len(set(self._builtin) | set(self._found))


def collect_check_types(config: pytest.Config) -> CheckTypes:
    """Ask every plugin for its check types; a duplicate name is a usage error."""
    from pytest_tower.checks import BUILTIN

    found: dict[str, CheckType] = {}
    builtin = config.pluginmanager.get_plugin("tower-builtin-checks")
    hook = config.hook.pytest_tower_check_types
    for impl in reversed(hook.get_hookimpls()):  # the call order of the hook
        if impl.hookwrapper or getattr(impl, "wrapper", False) or impl.plugin is builtin:
            continue
        # one at a time, to name the plugin of a bad type
        batch = cast("list[Any] | None", impl.function())
        for check_type in batch or []:
            _validate(check_type, _plugin_name(config, impl))
            if check_type.name in found or check_type.name in BUILTIN:
                raise pytest.UsageError(
                    f"pytest-tower: two plugins register the check type {check_type.name!r}"
                )
            found[check_type.name] = with_shard_key(check_type)
    return CheckTypes(found, BUILTIN)


def with_shard_key(check_type: CheckType) -> CheckType:
    """The type, accepting `shard = K` (unless it declares `shard` itself)."""
    from pytest_tower.run.shard import GENERIC

    if "shard" in check_type.options:
        return check_type
    return dataclasses.replace(check_type, options={**check_type.options, "shard": GENERIC})


def _plugin_name(config: pytest.Config, impl: Any) -> str:
    name = config.pluginmanager.get_name(impl.plugin) or impl.plugin_name
    return str(getattr(impl.plugin, "__file__", None) or name)


def _validate(check_type: Any, plugin: str) -> None:
    where = f"(registered by {plugin})"
    if not isinstance(check_type, CheckType):
        raise pytest.UsageError(
            f"pytest-tower: pytest_tower_check_types returned {check_type!r}, "
            f"which is not a pytest_tower.CheckType {where}"
        )
    problems = [f"option {key!r} has kind {opt.kind!r}, not one of {', '.join(OPTION_KINDS)}"
                for key, opt in check_type.options.items() if opt.kind not in OPTION_KINDS]
    problems += [f"metric {m.name!r} has unit {m.unit!r}, not one of "
                 + ", ".join(repr(u) for u in UNITS)
                 for m in check_type.metrics if m.unit not in UNITS]
    names = {m.name for m in check_type.metrics}
    problems += [f"charted metric {name!r} is not one of its metrics"
                 for name in check_type.charted if name not in names]
    if check_type.findings is not None and not isinstance(check_type.findings, FindingsStyle):
        problems.append(f"findings is {check_type.findings!r}, not a FindingsStyle")
    if problems:
        raise pytest.UsageError(
            f"pytest-tower: check type {check_type.name!r} {where}: " + "; ".join(problems))
