"""[environments.<name>] tables: defaults, and errors that say what fits."""

from __future__ import annotations

import pytest

from pytest_tower.environments import EnvConfigError, parse_environment


def test_local_defaults_and_command_string_split() -> None:
    spec = parse_environment("staging", {"command": "gunicorn --bind 127.0.0.1:{port} app:app",
                                         "health_timeout": "5s"})
    assert spec.strategy == "local"
    assert spec.options["command"] == ["gunicorn", "--bind", "127.0.0.1:{port}", "app:app"]
    assert spec.options["host"] == "127.0.0.1" and spec.options["health_timeout"] == 5.0
    assert spec.options["on_failure"] == "rollback" and spec.options["keep_releases"] == 5


def test_command_health_is_a_path_or_a_command() -> None:
    base = {"strategy": "command", "deploy": ["./deploy.sh", "{artifact}"]}
    assert parse_environment("p", {**base, "health": "/up"}).options["health"] == "/up"
    assert parse_environment("p", {**base, "health": ["./h.sh"]}).options["health"] == ["./h.sh"]
    with pytest.raises(EnvConfigError, match="health: wrong type"):
        parse_environment("p", {**base, "health": "h.sh"})


@pytest.mark.parametrize(("table", "message"), [
    ({"strategy": "lokal", "command": "x"}, "unknown strategy 'lokal'.*Did you mean 'local'"),
    ({"command": "x", "keep_release": 3}, "keep_release: unknown option.*'keep_releases'"),
    ({"command": "x", "keep_releases": "5"}, "keep_releases: wrong type.*whole number"),
    ({"command": "x", "keep_releases": 0}, "keep_releases: 0 is too small"),
    ({"command": "x", "on_failure": "ignore"}, "on_failure: wrong type.*'rollback', 'keep'"),
    ({"command": "x", "env": {"A": 1}}, "env: wrong type.*table of strings"),
    ({"health": "/healthz"}, "command: missing required option"),
    ({"strategy": "command"}, "deploy: missing required option"),
    ({"strategy": "command", "deploy": [], "url": "x"}, "deploy: wrong type.*non-empty"),
    ({"command": "x", "health_timeout": float("nan")}, "health_timeout: wrong type.*nan is not"),
    ({"command": "x", "lock_timeout": "1e999s"}, "lock_timeout: .*'1e999s' is not a finite"),
    ({"command": "x", "stop_timeout": float("-inf")}, "stop_timeout: .*not a finite number"),
    ({"command": "x", "keep_releases": 10**30}, "keep_releases: wrong type.*from 0 to"),
    ({"command": "x", "health_failures_allowed": -1}, "health_failures_allowed: wrong type"),
    ({"strategy": "command", "deploy": "x", "timeout": 1e12}, "timeout: .*longest duration"),
])
def test_bad_tables_are_rejected_clearly(table, message) -> None:
    with pytest.raises(EnvConfigError, match=message):
        parse_environment("staging", table)
