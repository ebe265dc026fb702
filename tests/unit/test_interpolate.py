"""`${NAME}` / `${NAME:-default}` in gates.toml: expansion, errors, secrets kept out of errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pytest_tower.core import interpolate
from pytest_tower.core.errors import ConfigError
from pytest_tower.core.tomlpos import TomlLines

GATES = Path("gates.toml")


def expand(text: str, **environ: str) -> interpolate.Expanded:
    return interpolate.expand(tomllib.loads(text), GATES, TomlLines(text).locate, environ)


@pytest.mark.parametrize(
    ("value", "environ", "result"),
    [
        ("${BRANCH}", {"BRANCH": "origin/dev"}, "origin/dev"),
        ("reports/${JOB}/out.json", {"JOB": "7"}, "reports/7/out.json"),
        ("${A}${B}", {"A": "x", "B": "y"}, "xy"),
        ("${BRANCH:-origin/main}", {}, "origin/main"),
        ("${BRANCH:-origin/main}", {"BRANCH": ""}, "origin/main"),  # empty takes the default
        ("${BRANCH:-origin/main}", {"BRANCH": "dev"}, "dev"),
        ("${EMPTY}", {"EMPTY": ""}, ""),  # set but empty, no default: empty
        ("${X:-}", {}, ""),
        ("$${HOME} stays", {}, "${HOME} stays"),
        ("cost: $5, $HOME, $", {}, "cost: $5, $HOME, $"),
        ("{env:TOKEN} is late", {"TOKEN": "t"}, "{env:TOKEN} is late"),
        ("${A:-a:-b}", {}, "a:-b"),
        ("${URL:-http://127.0.0.1:8000}", {}, "http://127.0.0.1:8000"),
    ],
)
def test_expansion(value: str, environ: dict[str, str], result: str) -> None:
    text = f"[lint.ruff]\nbase = '{value}'\n"
    assert expand(text, **environ).data["lint"]["ruff"]["base"] == result


def test_every_string_value_is_expanded_and_nothing_else() -> None:
    text = """
        [tower]
        report = "${OUT}/report.json"
        [lint.ruff]
        paths = ["${SRC}", "tests"]
        timeout = 30
        [compliance.licenses]
        allow = ["MIT"]
        exceptions = [{ package = "${PKG}", reason = "ours" }]
        [environments.staging]
        env = { URL = "${URL}" }
    """.replace("\n        ", "\n")
    data = expand(text, OUT="build", SRC="src", PKG="app", URL="http://x").data
    assert data["tower"]["report"] == "build/report.json"
    assert data["lint"]["ruff"] == {"paths": ["src", "tests"], "timeout": 30}
    assert data["compliance"]["licenses"]["exceptions"] == [{"package": "app",
                                                             "reason": "ours"}]
    assert data["environments"]["staging"]["env"] == {"URL": "http://x"}


def test_keys_are_not_expanded() -> None:
    data = expand('[lint.ruff]\n"${X}" = "1"\n', X="y").data
    assert data["lint"]["ruff"] == {"${X}": "1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[lint.ruff]\nbase = "${BASE_REF}"\n',
         "gates.toml:2: [lint.ruff] base: environment variable BASE_REF is not set (used as "
         "`${BASE_REF}`). Expected BASE_REF set in the environment, or a default: "
         "`${BASE_REF:-...}`."),
        ('[lint.ruff]\npaths = ["src", "${SRC}"]\n',
         "gates.toml:2: [lint.ruff] paths[1]: environment variable SRC is not set"),
        ('[c.licenses]\nallow = ["MIT"]\nexceptions = [{ package = "${P}", reason = "r" }]\n',
         "gates.toml:3: [c.licenses] exceptions[0].package: environment variable P is not set"),
        ('[environments.prod]\nenv = { TOKEN = "${T}" }\n',
         "gates.toml:2: [environments.prod.env] TOKEN: environment variable T is not set"),
        ('[lint.ruff]\nbase = "${BASE"\n', "base: an unclosed `${` (no `}` after it)"),
        ('[lint.ruff]\nbase = "${1X}"\n', "base: `${1X}` does not name an environment variable"),
        ('[lint.ruff]\nbase = "${env:X}"\n', "`${env:X}` does not name an environment variable"),
        ('[lint.ruff]\nbase = "${}"\n', "`${}` does not name an environment variable"),
    ],
)
def test_errors_name_the_variable_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        expand(text)
    assert str(caught.value).startswith(message) or message in str(caught.value)


def test_an_unset_error_never_shows_other_values() -> None:
    with pytest.raises(ConfigError) as caught:
        expand('[d.x]\nurl = "${URL}"\ntoken = "${TOKEN}${MISSING}"\n', URL="u",
               TOKEN="s3cr3t-value")
    assert "MISSING" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("token", True), ("api_token", True), ("PASSWORD", True), ("TWINE_PASSWORD", True),
     ("AWS_SECRET_ACCESS_KEY", True), ("api-key", True), ("credentials", True),
     ("key", True), ("authorization", True), ("url", False), ("paths", False),
     ("keyword", False), ("monkey", False), ("base", False)],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert interpolate.is_secret_key(("deploy", "x", key)) is secret
    assert interpolate.is_secret_key(("deploy", "x", key, 0)) is secret  # inside an array


def test_values_from_the_environment_in_secret_keys_are_remembered() -> None:
    found = expand('[d.x]\ntoken = "Bearer ${TOKEN}"\nurl = "${URL}"\n'
                   'password = "${PW:-fallback}"\n', TOKEN="s3cr3t", URL="http://u")
    assert found.data["d"]["x"]["token"] == "Bearer s3cr3t"
    assert found.secrets == frozenset({"s3cr3t"})  # not the url, not a default


def test_masked_hides_secrets_and_long_pieces_of_them() -> None:
    secrets = frozenset({"abcdefghijklmnopqrstuvwxyz0123456789"})
    error = ConfigError(GATES, "wrong type: 'abcdefghijklmnopqrst…' (36 characters)",
                        expected="not abcdefghijklmnopqrstuvwxyz0123456789", suggestion=None)
    shown = str(interpolate.masked(error, secrets))
    assert "abcdef" not in shown and "***" in shown
    assert "(36 characters)" in shown


def test_masked_without_secrets_is_the_same_error() -> None:
    error = ConfigError(GATES, "x")
    assert interpolate.masked(error, frozenset()) is error
