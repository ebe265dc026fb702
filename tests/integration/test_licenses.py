"""The licences gate on a real venv whose packages declare known licences."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.integration.venvs import make_venv

PACKAGES = {
    "tower-mit": 'license = "MIT"',
    "tower-gpl": 'license = "GPL-3.0-only"',
    "tower-none": "",
    "tower-dual": 'license = "MIT OR GPL-3.0-only"',
    "tower-isc": 'license = "ISC"',
    "tower-classic": 'classifiers = ["License :: OSI Approved :: BSD License"]',
    "tower-text": 'license = { text = "Apache License, Version 2.0" }',
}
ALLOW = '["MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0"]'


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("licences"), PACKAGES)


def test_denied_not_allowed_and_unknown_licences_fail(venv_python, run_tower,
                                                      no_traceback) -> None:
    run = run_tower(f"""
        [compliance.licenses]
        allow = {ALLOW}
        deny = ["GPL-3.0-only"]
        python = "{venv_python}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"packages": 7, "denied": 2, "unknown": 1, "excepted": 0}
    out = run.stdout.str()
    run.stdout.fnmatch_lines([
        "findings (3):",
        "  tower-gpl 1.0 denied License-Expression 'GPL-3.0-only': GPL-3.0-only is denied",
        "  tower-isc 1.0 not-allowed License-Expression 'ISC': ISC is not in the allow list",
        "  tower-none 1.0 unknown no licence metadata: neither License-Expression, License "
        "nor a License classifier",
    ])
    for allowed in ("tower-mit", "tower-dual", "tower-classic", "tower-text"):
        assert allowed not in out
    assert "TOWER GATE FAILED" in out
    assert no_traceback(out)


def test_exceptions_pass_and_stale_ones_are_noted(venv_python, run_tower) -> None:
    run = run_tower(f"""
        [compliance.licenses]
        allow = {ALLOW[:-1]}, "ISC"]
        deny = ["GPL-3.0-only"]
        python = "{venv_python}"
        exceptions = [
            {{ package = "Tower_GPL", reason = "only used by the build, never shipped" }},
            {{ package = "tower-none", reason = "our own package, MIT in its repo" }},
            {{ package = "tower-mit", reason = "was GPL once" }},
            {{ package = "ghost", reason = "was removed last year" }},
        ]
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()
    assert check["metrics"] == {"packages": 7, "denied": 0, "unknown": 0, "excepted": 2}
    assert check["notes"] == [
        "tower-gpl 1.0 (License-Expression 'GPL-3.0-only'): denied, excepted: only used by "
        "the build, never shipped",
        "unneeded exception: tower-mit 1.0 (License-Expression 'MIT') is allowed anyway",
        "tower-none 1.0 (no licence metadata): unknown, excepted: our own package, MIT in its "
        "repo",
        f"stale exception: ghost is not installed in {venv_python}; remove it from "
        "`exceptions`",
    ]


def test_deny_only_policy(venv_python, run_tower) -> None:
    run = run_tower(f"""
        [compliance.licenses]
        deny = ["GPLv3"]
        python = "{venv_python}"
        conditions = ["denied == 0"]
        warn = ["unknown == 0"]
    """, "-p", "no:cacheprovider")
    check = run.check
    assert check["metrics"] == {"packages": 7, "denied": 1, "unknown": 1, "excepted": 0}
    assert [f["path"] for f in check["findings"]] == ["tower-gpl 1.0", "tower-none 1.0"]
    assert run.rc == pytest.ExitCode.TESTS_FAILED


def test_default_environment_is_the_one_pytest_runs_in(run_tower) -> None:
    run = run_tower("""
        [compliance.licenses]
        deny = ["GPL-3.0-only"]
        conditions = ["denied == 0"]
    """, "-p", "no:cacheprovider")
    check = run.check
    assert check["tool"] == f"importlib.metadata of {sys.executable}"
    assert check["metrics"]["packages"] >= 10  # pytest, pluggy, ruff, …


def test_a_python_that_does_not_exist_is_an_error(run_tower) -> None:
    run = run_tower("""
        [compliance.licenses]
        allow = ["MIT"]
        python = "nowhere/bin/python"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "error"
    assert "'nowhere/bin/python' was not found" in check["message"]
    assert "set `python` in [compliance.licenses]" in check["message"]
    assert "TOWER GATE FAILED" in run.stdout.str()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('allow = ["MIT"]\nexceptions = [{ package = "foo" }]',
         "the exception for 'foo' needs a reason"),
        ('allow = ["MIT"]\nexceptions = [{ package = "foo", reason = " " }]',
         "the exception for 'foo' needs a reason"),
        ('allow = ["MIT"]\nexceptions = [{ package = "foo", reason = "x", until = 1 }]',
         "unknown key 'until'"),
        ('allow = ["BSD"]', "'BSD' is ambiguous: BSD-2-Clause or BSD-3-Clause"),
        ('allow = ["MIT License X"]', "'MIT License X' is not a known SPDX licence id"),
        ('allow = ["MIT"]\ndeny = ["mit"]', "MIT is both allowed and denied"),
        ('python = "x"', "give `allow` and/or `deny`"),
    ],
)
def test_bad_policy_is_a_config_error(pytester, gates, table: str, message: str,
                                      no_traceback) -> None:
    gates("[compliance.licenses]\n" + table + "\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "[compliance.licenses]" in err
    assert message in err
    assert no_traceback(err)


def test_any_spdx_id_is_known_through_license_expression(tmp_path_factory, run_tower) -> None:
    """Ids beyond any hand-kept table (the SPDX list of license-expression): a
    License-Expression of MIT-Modern-Variant is judged, `allow` may name BSD-3-Clause-LBNL;
    a LicenseRef the policy does not name stays unknown, even one the library's own index
    maps to MIT."""
    python = make_venv(tmp_path_factory.mktemp("spdx"), {
        "tower-modern": 'license = "MIT-Modern-Variant"',
        "tower-lbnl": 'license = "BSD-3-Clause-LBNL"',
        "tower-zero": 'license = "MIT-0 OR Apache-2.0"',
        "tower-ref": 'license = "LicenseRef-MIT-Bootstrap"',
    })
    run = run_tower(f"""
        [compliance.licenses]
        allow = ["MIT-Modern-Variant", "BSD-3-Clause-LBNL", "mit-0"]
        python = "{python}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert check["metrics"] == {"packages": 4, "denied": 0, "unknown": 1, "excepted": 0}, \
        run.output
    assert [(f["path"], f["code"]) for f in check["findings"]] == [("tower-ref 1.0", "unknown")]
    assert "'LicenseRef-MIT-Bootstrap' is not a recognised licence" in run.output
    assert run.rc == pytest.ExitCode.TESTS_FAILED
