"""The pip-audit gate with the real pip-audit, offline against tests/data/advisories.

Exact pins with `no_deps` need no index; the advisories come from the loopback
OSV server the check starts. Fake pip-audits appear only to inject faults
(garbage, a service that skips everything, a crash).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import zipfile
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data" / "advisories"
REQUESTS_2_19 = {"PYSEC-2018-28", "PYSEC-2023-74"}
DB_NOTE = (f"advisory database {DATA}: 6 records, 6 for PyPI packages (5 packages); "
           "1 withdrawn")


@pytest.fixture
def audit(run_tower):
    """run_tower on one pip-audit check of pinned requirements (local advisory data unless told)."""

    def run(pins: list[str], extra: str = "", source: str = f'advisory_db = "{DATA}"'):
        return run_tower('[security.pip-audit]\nrequirements = ["requirements.txt"]\n'
                         f"no_deps = true\n{source}\n{extra}\n",
                         files={"requirements.txt": "\n".join(pins) + "\n"})

    return run


def found(check: dict) -> dict[str, str]:
    """Vulnerability findings: id -> severity ("" = counts, "waived")."""
    return {f["code"]: f.get("severity", "") for f in check["findings"]
            if f["path"] not in ("ignore",) and f["code"] != "UNAUDITED"}


def test_vulnerable_pin_reports_exactly_its_advisories(audit, no_traceback) -> None:
    run = audit(["requests==2.19.0"])
    check = run.check
    out = run.stdout.str()
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "failed"
    assert found(check) == dict.fromkeys(REQUESTS_2_19, "")
    assert check["metrics"] == {"vulnerabilities": 2, "fixable": 2, "waived": 0,
                                "unaudited": 0, "packages": 1, "local": 0, "expired": 0}
    assert check["tool"].startswith("pip-audit 2.")
    assert "requests PYSEC-2018-28 requests 2.19.0: fixed in 2.20.0; aliases CVE-2018-18074" in out
    assert "TOWER GATE FAILED" in out and no_traceback(out)
    saved = json.loads(Path(check["artifacts"]["pip-audit"]).read_text())
    assert {v["id"] for v in saved["dependencies"][0]["vulns"]} == REQUESTS_2_19


def test_fixed_pin_passes_from_a_zip_database(pytester, audit) -> None:
    archive = pytester.path / "osv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in DATA.glob("*.json"):
            zf.write(record, record.name)
    run = audit(["requests==2.31.0"], source='advisory_db = "osv.zip"')
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    assert run.rc == pytest.ExitCode.OK
    assert check["metrics"]["packages"] == 1 and check["metrics"]["vulnerabilities"] == 0


def test_active_waivers_match_any_alias_and_stay_listed(audit) -> None:
    run = audit(["requests==2.19.0"], (
        'ignore = [{ id = "CVE-2018-18074", reason = "no auth across hosts", until = 2999-01-01 },'
        ' { id = "GHSA-j8r2-6x86-q33q", reason = "no proxies", until = 2999-01-01 }]'))
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    assert check["metrics"]["waived"] == 2 and check["metrics"]["vulnerabilities"] == 0
    assert check["metrics"]["fixable"] == 0
    assert found(check) == dict.fromkeys(REQUESTS_2_19, "waived")
    assert check["notes"] == [DB_NOTE]


def test_expired_waiver_fails_and_waives_nothing(audit) -> None:
    run = audit(["requests==2.19.0"], (
        'ignore = [{ id = "PYSEC-2023-74", reason = "no proxies", until = 2020-01-01 },'
        ' { id = "PYSEC-2018-28", reason = "no auth across hosts", until = 2999-01-01 }]'))
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "failed"
    assert check["metrics"]["expired"] == 1 and check["metrics"]["vulnerabilities"] == 1
    assert found(check) == {"PYSEC-2023-74": "", "PYSEC-2018-28": "waived"}
    assert "FAIL  expired == 0  (measured 1)" in out
    assert "ignore PYSEC-2023-74 expired waiver expired on 2020-01-01" in out


def test_stale_waiver_is_reported(audit) -> None:
    run = audit(["requests==2.31.0"], (
        'ignore = [{ id = "PYSEC-2018-28", reason = "old", until = 2999-01-01 }]'))
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    assert check["notes"] == ["stale waiver: ignore PYSEC-2018-28 (until 2999-01-01) matched "
                              "no vulnerability; remove it", DB_NOTE]
    assert {f["severity"] for f in check["findings"]} == {"stale"}


@pytest.mark.parametrize(("extra", "words"), [
    ('ignore = [{ id = "PYSEC-2023-74", until = 2999-01-01 }]', "`reason` is required"),
    ('ignore = [{ id = "X", reason = " ", until = 2999-01-01 }]', "`reason` is required"),
    ('ignore = [{ id = "X", reason = "r", until = "2999-01-01" }]', "must be a TOML date"),
    ('ignore = [{ id = "X", reason = "r" }]', "must be a TOML date"),
    ('ignore = [{ id = "X", reason = "r", until = 2999-01-01T00:00:00 }]', "must be a TOML date"),
    ('ignore = [{ reason = "r", until = 2999-01-01 }]', "`id` must name"),
    ('ignore = [{ id = "X", why = "r", until = 2999-01-01 }]', "unknown key(s) why"),
    ('python = "python3"', "either `requirements` or `python`"),
    ('osv_url = "http://127.0.0.1:1/v1/query"', "only one of `advisory_db`, `osv_url`"),
    ('service = "osv"', "only one of"),
    ('service = "esms"', "one of 'pypi', 'osv'"),
])
def test_bad_options_are_config_errors(pytester, gates, extra: str, words: str,
                                       no_traceback) -> None:
    (pytester.path / "requirements.txt").write_text("requests==2.31.0\n")
    gates(f'[security.pip-audit]\nrequirements = ["requirements.txt"]\nadvisory_db = "{DATA}"\n'
          f"{extra}\n")
    result = pytester.runpytest("--tower")
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[security.pip-audit]" in err and words in err
    assert no_traceback(result.stdout.str() + err)


def test_no_deps_needs_requirements(pytester, gates) -> None:
    gates("[security.pip-audit]\nno_deps = true\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "`no_deps` applies to `requirements` only" in result.stderr.str()


def test_unreachable_service_is_an_error_not_a_pass(audit) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1/query"
        run = audit(["requests==2.31.0"], source=f'osv_url = "{url}"')
        check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "error"
    assert "pip-audit exited 1 without writing its JSON report: it crashed" in out
    assert "Connection refused" in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out
    assert "INTERNALERROR" not in out


def test_skipped_package_fails_naming_it_and_the_reason(audit) -> None:
    run = audit([
        "requests==2.31.0", "tower-demo @ file:///nowhere/tower_demo-1.0.tar.gz"])
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "failed"
    assert check["metrics"]["unaudited"] == 1 and check["metrics"]["packages"] == 1
    assert "FAIL  unaudited == 0  (measured 1)" in out
    assert ("tower-demo UNAUDITED not audited: URL requirements cannot be pinned to a "
            "specific package version") in out


# What pip-audit's default service writes on a machine that cannot reach it (TOOLS.md).
NOT_FOUND = "Dependency not found on PyPI and could not be audited: {} ({})"


def fake_pip_audit(fake_tool, report: dict, code: int = 0, stdout: str = "") -> Path:
    """A pip-audit that writes `report` to its --output file, then exits `code`."""
    return fake_tool("pip-audit", f"""\
        case "$1" in --version) echo "pip-audit 2.10.1"; exit 0;; esac
        prev=""; for a in "$@"; do [ "$prev" = "--output" ] && out="$a"; prev="$a"; done
        [ -n "$out" ] && cat > "$out" <<'EOF'
        {json.dumps(report)}
        EOF
        echo "{stdout}"
        exit {code}
        """)


@pytest.fixture
def bare_env(tmp_path: Path) -> Path:
    """A real venv holding a project installed from a local directory, and requests."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "env"], check=True)
    site = next((tmp_path / "env" / "lib").glob("python*/site-packages"))
    for name, version, direct in (("tower_demo", "0.1", {"url": "file:///src/tower-demo",
                                                         "dir_info": {"editable": True}}),
                                  ("requests", "2.19.0", None)):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n")
        if direct:
            (info / "direct_url.json").write_text(json.dumps(direct))
    return tmp_path / "env" / "bin" / "python"


def test_service_that_skips_everything_fails_but_local_project_is_no_gap(
        fake_tool, bare_env, run_tower) -> None:
    report = {"dependencies": [
        {"name": "tower-demo", "skip_reason": NOT_FOUND.format("tower-demo", "0.1")},
        {"name": "requests", "skip_reason": NOT_FOUND.format("requests", "2.19.0")}],
        "fixes": []}
    tool = fake_pip_audit(fake_tool, report, stdout="No known vulnerabilities found")
    run = run_tower(f'[security.pip-audit]\npython = "{bare_env}"\nexecutable = "{tool}"\n')
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "failed"
    assert check["metrics"]["unaudited"] == 1 and check["metrics"]["local"] == 1
    assert check["metrics"]["packages"] == 0
    assert ("requests UNAUDITED not audited: Dependency not found on PyPI and could not be "
            "audited: requests (2.19.0)") in out
    assert "tower-demo UNAUDITED" not in out
    assert check["notes"][0].startswith("tower-demo: local package (file:///src/tower-demo)")


@pytest.mark.parametrize(("report", "code", "words"), [
    (None, 0, "pip-audit exited 0 without writing its JSON report"),
    (None, 1, "pip-audit exited 1 without writing its JSON report: it crashed"),
    ("all good, trust me", 0, "not its JSON format: 'all good, trust me"),
    ({"dependencies": "?"}, 0, "does not have the expected shape"),
    ({"dependencies": []}, 0, "found no packages to audit"),
    ({"dependencies": [{"name": "a", "version": "1", "vulns": [{"id": "X"}]}]}, 0,
     "exited 0 but its report lists 1 vulnerabilities"),
    ({"dependencies": [{"name": "a", "version": "1", "vulns": []}]}, 1,
     "exited 1 but its report lists 0 vulnerabilities"),
])
def test_garbage_from_pip_audit_is_an_error(fake_tool, report, code, words, audit) -> None:
    if report is None:
        tool = fake_tool("pip-audit", f'echo "Traceback: boom" >&2\nexit {code}\n')
    elif isinstance(report, str):
        tool = fake_tool("pip-audit", 'prev=""; for a in "$@"; do [ "$prev" = "--output" ] '
                         f'&& echo "{report}" > "$a"; prev="$a"; done\nexit {code}\n')
    else:
        tool = fake_pip_audit(fake_tool, report, code)
    run = audit(["requests==2.31.0"], f'executable = "{tool}"', source="")
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "error"
    assert words in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out


def test_offline_run_must_ask_the_database(fake_tool, audit) -> None:
    report = {"dependencies": [{"name": "requests", "version": "2.19.0", "vulns": []}]}
    tool = fake_pip_audit(fake_tool, report)
    run = audit(["requests==2.19.0"], f'executable = "{tool}"')
    check = run.check
    assert check["verdict"] == "error"
    assert ("reported packages as audited without asking the advisory database: "
            "requests 2.19.0") in run.stdout.str()


def test_audits_the_environment_pytest_runs_in_by_default(pytester, run_tower) -> None:
    pytest_version = installed_version("pytest")
    db = pytester.path / "db"
    db.mkdir()
    (db / "SYNTHETIC-PYTEST.json").write_text(json.dumps({
        "id": "SYNTHETIC-PYTEST", "summary": "synthetic: made up for this test",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "PyTest"},
                      "versions": [pytest_version]}]}))
    run = run_tower('[security.pip-audit]\nadvisory_db = "db"\n')
    check = run.check
    assert check["verdict"] == "failed", run.stdout.str()
    assert found(check) == {"SYNTHETIC-PYTEST": ""}
    assert check["metrics"]["packages"] >= 5  # pytest, pip-audit, ... all asked about
    assert check["metrics"]["unaudited"] == 0


@pytest.fixture(scope="module")
def other_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv with pip (pip-audit lists it with `python -m pip`) and requests 2.19.0."""
    root = tmp_path_factory.mktemp("other")
    subprocess.run([sys.executable, "-m", "venv", root / "env"], check=True)
    site = next((root / "env" / "lib").glob("python*/site-packages"))
    info = site / "requests-2.19.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n")
    return root / "env" / "bin" / "python"


def test_python_option_audits_another_environment(other_env, run_tower) -> None:
    run = run_tower(f'[security.pip-audit]\npython = "{other_env}"\nadvisory_db = "{DATA}"\n')
    check = run.check
    assert check["verdict"] == "failed", run.stdout.str()
    assert found(check) == dict.fromkeys(REQUESTS_2_19, "")
    listed = json.loads(Path(check["artifacts"]["pip-audit"]).read_text())["dependencies"]
    names = {d["name"] for d in listed}
    assert "requests" in names and "pytest" not in names and "pip-audit" not in names


@pytest.mark.parametrize(("setup", "words"), [
    (lambda p: None, "advisory database unusable: "),
    (lambda p: p.mkdir(), "holds no usable OSV records"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "neither a directory nor a zip"),
])
def test_unusable_advisory_database_is_an_error(pytester, setup, words, audit) -> None:
    setup(pytester.path / "osv")
    run = audit(["requests==2.19.0"], source='advisory_db = "osv"')
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "error"
    assert "advisory database unusable" in out and words in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out


@pytest.mark.parametrize(("records", "words"), [
    ({"a.json": {"id": "G-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"},
                                            "versions": ["1.0"]}]}},
     "holds no advisory for a PyPI package, so every query would read clean"),
    ({"a.json": {"id": "X-1"}, "b.json": {"id": "X-2", "affected": []}},
     "2 records, 0 for PyPI packages (0 packages); 2 without `affected`"),
    ({"a.json": {"id": "X-1", "affected": [{"package": {"ecosystem": "PyPI",
                                                        "name": "requests"}}]}},
     "1 PyPI entries with no version or range"),
], ids=["other-ecosystem", "no-affected", "pypi-entry-matching-nothing"])
def test_database_without_pypi_advisories_is_an_error(pytester, records, words, audit) -> None:
    db = pytester.path / "osv"
    db.mkdir()
    for name, data in records.items():
        (db / name).write_text(json.dumps(data))
    run = audit(["requests==2.19.0"], source='advisory_db = "osv"')
    check = run.check
    out = run.stdout.str()
    assert check["verdict"] == "error"
    assert "advisory database unusable" in out and words in out
    assert "PyPI/all.zip" in out  # where to get a real one


def test_records_without_affected_are_counted_in_the_report(pytester, audit) -> None:
    db = pytester.path / "osv"
    db.mkdir()
    (db / "real.json").write_bytes((DATA / "PYSEC-2018-28.json").read_bytes())
    (db / "bare.json").write_text(json.dumps({"id": "X-1"}))
    run = audit(["requests==2.19.0"], source='advisory_db = "osv"')
    check = run.check
    assert check["verdict"] == "failed"
    assert f"advisory database {db}: 2 records, 1 for PyPI packages (1 packages); " \
        "1 without `affected`" in check["notes"]
