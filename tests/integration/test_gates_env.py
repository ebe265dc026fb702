"""gates.toml reads the environment: `${NAME}`, `${NAME:-default}`, a real gate run."""

from __future__ import annotations

import pytest

TOKEN_TYPE = """
from pytest_tower import CheckType, Measurement, MetricSpec, Option


def run(ctx):
    return Measurement({"n": 1}, tool="probe 1")


def pytest_tower_check_types():
    return [CheckType("probe", run, [MetricSpec("n")],
                      options={"api_token": Option("int", "a number, to make it fail"),
                               "where": Option("str", "anything", default="")})]
"""


def test_a_variable_and_a_default_reach_the_check(run_tower) -> None:
    run = run_tower("""
        [lint.ruff]
        paths = ["${SRC_DIR}", "${EXTRA_DIR:-extra}"]
        select = ["F"]
    """, files={"app/a.py": "import os\n", "extra/b.py": "x = 1\n"}, env={"SRC_DIR": "app"})
    check = run.check
    assert check["metrics"]["files"] == 2, run.output
    assert check["metrics"]["violations[F401]"] == 1
    assert [f["path"] for f in check["findings"]] == ["app/a.py"]
    assert run.rc == pytest.ExitCode.TESTS_FAILED


def test_an_unset_variable_is_a_config_error_naming_it(run_tower) -> None:
    run = run_tower("""
        [lint.ruff]
        select = ["F"]
        base = "${BASE_REF}"
    """)
    assert run.rc == pytest.ExitCode.USAGE_ERROR
    assert ("gates.toml:4: [lint.ruff] base: environment variable BASE_REF is not set "
            "(used as `${BASE_REF}`)") in run.output
    assert "Traceback" not in run.output


def test_a_secret_from_the_environment_is_never_echoed(run_tower) -> None:
    """A secret-named key whose value is wrong: the error says so without the value (nor
    the start of it, as a long value is shown cut short)."""
    secret = "ghp_" + "s3cr3tV4lue" * 4
    run = run_tower("""
        [a.probe]
        api_token = "${API_TOKEN}"
        conditions = ["n >= 1"]
    """, files={"conftest.py": TOKEN_TYPE}, env={"API_TOKEN": secret})
    assert run.rc == pytest.ExitCode.USAGE_ERROR, run.output
    assert "[a.probe] api_token: wrong type or value" in run.output
    assert "***" in run.output
    assert "s3cr3t" not in run.output and "ghp_" not in run.output


def test_a_value_in_a_key_that_is_no_secret_is_shown(run_tower) -> None:
    run = run_tower("""
        [a.probe]
        api_token = 1
        where = "${WHERE}"
        conditions = ["n >= 1", "n <= ${LIMIT}"]
    """, files={"conftest.py": TOKEN_TYPE}, env={"WHERE": "x", "LIMIT": "lots"})
    assert run.rc == pytest.ExitCode.USAGE_ERROR, run.output
    assert "n <= lots" in run.output


def test_dollar_dollar_is_a_literal_and_env_braces_keep_their_meaning(run_tower) -> None:
    run = run_tower("""
        [a.probe]
        api_token = 1
        where = "$${HOME} {env:HOME}"
        conditions = ["n >= 1"]
    """, files={"conftest.py": TOKEN_TYPE.replace(
        '{"n": 1}', '{"n": 1 if ctx.options["where"] == "${HOME} {env:HOME}" else 0}')})
    assert run.rc == pytest.ExitCode.OK, run.output


def test_the_tower_report_and_history_paths_read_the_environment(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """[tower] report/history are read before the config reader too (the running stub,
    --tower-show): they expand ${NAME} the same way, never to a literal `${OUT}` folder."""
    pytester.makefile(".toml", gates="""
        [tower]
        report = "${OUT}/tower.json"
        history = "${OUT:-x}/history.jsonl"

        [compliance.files]
        required = ["gates.toml"]
    """.replace("\n        ", "\n"))
    monkeypatch.setenv("OUT", "job-7")
    run = pytester.runpytest("--tower")
    assert run.ret == 0, run.stdout.str()
    assert '"verdict": "passed"' in (pytester.path / "job-7" / "tower.json").read_text()
    assert (pytester.path / "job-7" / "history.jsonl").is_file()
    assert not any("${" in p.name for p in pytester.path.iterdir())
    shown = pytester.runpytest("--tower-show")
    assert shown.ret == 0, shown.stdout.str() + shown.stderr.str()
    assert "last run: PASSED" in shown.stdout.str()
    assert "(1 runs in history)" in shown.stdout.str()
