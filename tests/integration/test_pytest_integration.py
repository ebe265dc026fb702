"""Gates behave like tests: -k, -x, --lf, --junitxml, needs, order, report, hooks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

# Three stages: lint passes, style fails, docs passes; later stages need earlier ones.
PIPELINE = """
[tower]
report = "out/report.json"

[lint.ruff]
paths = ["pkg"]
select = ["F"]

[style.ruff]
paths = ["pkg"]
select = ["E711"]

[docs.ruff]
paths = ["pkg"]
select = ["F"]
needs = ["lint"]

[release.ruff]
paths = ["pkg"]
needs = ["style.ruff"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, gates) -> pytest.Pytester:
    pkg = pytester.mkpydir("pkg")
    (pkg / "m.py").write_text("def f(x):\n    return x == None\n")  # E711 only
    gates(PIPELINE)
    return pytester


@pytest.fixture
def report_of(read_report):
    """report_of(project): the report the project's gates.toml sends to out/report.json."""
    return lambda project: read_report(project.path / "out" / "report.json")


def test_stages_run_in_file_order_and_needs_block(project, report_of) -> None:
    result = project.runpytest("--tower", "-v", "-rs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "gates.toml::lint::ruff PASSED*",
        "gates.toml::style::ruff FAILED*",
        "gates.toml::docs::ruff PASSED*",
        "gates.toml::release::ruff SKIPPED*",
    ])
    out = result.stdout.str()
    assert "blocked: needs 'style.ruff', and style::ruff failed" in out
    assert "TOWER GATE FAILED: 2 of 4 checks failed (1 failed, 1 blocked)" in out
    verdicts = {c["id"]: c["verdict"] for c in report_of(project)["checks"]}
    assert verdicts == {"gates.toml::lint::ruff": "passed", "gates.toml::style::ruff": "failed",
                        "gates.toml::docs::ruff": "passed",
                        "gates.toml::release::ruff": "blocked"}


def test_k_selects_gates_and_deselected_ones_are_reported_skipped(project, report_of) -> None:
    result = project.runpytest("--tower", "-k", "lint or docs")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2, deselected=2)
    assert ("TOWER GATE PASSED (partial: 2 of 4 checks selected): 2 of 2 checks passed"
            in result.stdout.str())
    report = report_of(project)
    assert report["verdict"] == "passed"
    assert report["complete"] is False
    assert report["not_run"] == ["gates.toml::style::ruff", "gates.toml::release::ruff"]
    skipped = [c["id"] for c in report["checks"] if c["verdict"] == "skipped"]
    assert skipped == ["gates.toml::style::ruff", "gates.toml::release::ruff"]


def test_a_blocked_check_alone_still_fails_the_gate(project) -> None:
    # style is selected by id but release needs it: failing style blocks release.
    result = project.runpytest("--tower", "-k", "release or style")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, skipped=1, deselected=2)


def test_x_stops_at_the_first_failure_and_the_rest_is_not_a_pass(project, report_of) -> None:
    result = project.runpytest("--tower", "-x")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert ("TOWER GATE FAILED (partial: 2 of 4 checks ran): 3 of 4 checks failed "
            "(1 failed, 2 skipped)") in out
    messages = {c["check"] + c["stage"]: c["message"] for c in report_of(project)["checks"]}
    assert messages["ruffdocs"] == "not run: the session stopped before it"


def test_lf_reruns_the_failed_gate_and_what_it_blocked(project) -> None:
    project.runpytest("--tower")
    result = project.runpytest("--tower", "--lf")
    result.assert_outcomes(failed=1, skipped=1, deselected=2)  # release was blocked: again
    assert "gates.toml::style::ruff" in result.stdout.str()


def test_junitxml_records_gates_with_their_metrics(project) -> None:
    project.runpytest("--tower", "--junitxml=junit.xml")
    root = ET.parse(project.path / "junit.xml").getroot()
    assert len(list(root.iter("testcase"))) == 4
    style = next(c for c in root.iter("testcase") if c.get("classname") == "gates.toml.style")
    assert style.find("failure") is not None
    props = {p.get("name"): p.get("value") for p in style.iter("property")}
    assert props["tower.violations"] == "1"
    assert props["tower.violations[E711]"] == "1"
    assert props["tower.verdict"] == "failed"


def test_report_schema_matches_the_terminal(project, report_of) -> None:
    result = project.runpytest("--tower")
    report = report_of(project)
    assert report["schema"] == 1
    assert set(report) >= {"schema", "verdict", "started", "duration_s", "project", "checks",
                           "environments"}
    assert report["verdict"] == "failed"
    assert report["summary"] in result.stdout.str()
    for check in report["checks"]:
        assert set(check) >= {"id", "stage", "check", "tool", "verdict", "metrics",
                              "conditions", "message", "duration_s"}
        for condition in check["conditions"]:
            assert set(condition) >= {"expr", "actual", "passed", "level"}
    style = report["checks"][1]
    assert style["conditions"] == [{"expr": "violations == 0", "metric": "violations",
                                    "op": "==", "threshold": 0.0, "unit": "", "actual": 1,
                                    "passed": False, "level": "fail"}]
    leftovers = [p.name for p in (project.path / "out").iterdir()]
    assert leftovers == ["report.json"]  # written atomically: no temp file left


def test_cli_report_path_overrides_the_settings(project) -> None:
    project.runpytest("--tower", "--tower-report=elsewhere.json")
    assert json.loads((project.path / "elsewhere.json").read_text())["schema"] == 1
    assert not (project.path / "out" / "report.json").exists()


def test_collect_only_runs_nothing_and_proves_nothing(project, report_of) -> None:
    result = project.runpytest("--tower", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # listed, not run: never 0
    assert "gates.toml::lint::ruff" in result.stdout.str()
    assert "TOWER GATE NOT RUN: --collect-only" in result.stdout.str()
    assert report_of(project)["verdict"] == "failed"
    assert not (project.path / ".tower" / "history.jsonl").exists()


def test_tower_config_ini_and_option(pytester: pytest.Pytester) -> None:
    (pytester.path / "ci").mkdir()
    (pytester.path / "ci" / "quality.toml").write_text('[lint.ruff]\npaths = ["."]\n')
    (pytester.path / "ci" / "ok.py").write_text("X = 1\n")
    pytester.makeini("[pytest]\ntower_config = ci/quality.toml\n")
    result = pytester.runpytest("--tower", "-v")
    result.stdout.fnmatch_lines(["ci/quality.toml::lint::ruff PASSED*"])
    result = pytester.runpytest("--tower", "--tower-config", "missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_plugin_registers_a_check_type_through_the_hook(pytester, gates) -> None:
    pytester.makeconftest(
        """
        import sys
        from pytest_tower import CheckType, Measurement, MetricSpec, Option

        def count_lines(ctx):
            run = ctx.run([sys.executable, "-c",
                           "import sys; print(sum(1 for _ in open(sys.argv[1])))",
                           ctx.options["file"]], tool="python")
            return Measurement({"lines": int(run.stdout)}, tool="line-counter 1.0")

        def pytest_tower_check_types():
            return [CheckType("lines", count_lines, [MetricSpec("lines")],
                              options={"file": Option("str", required=True)})]
        """
    )
    (pytester.path / "notes.txt").write_text("a\nb\nc\n")
    gates('[docs.lines]\nfile = "notes.txt"\nconditions = ["lines <= 2"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "FAIL  lines <= 2  (measured 3)" in result.stdout.str()
    gates('[docs.lines]\nconditions = ["lines <= 2"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[docs.lines] file: missing required option" in result.stderr.str()


def test_two_plugins_with_one_check_type_name(pytester, gates) -> None:
    pytester.makeconftest(
        """
        from pytest_tower import CheckType, MetricSpec

        def pytest_tower_check_types():
            return [CheckType("ruff", lambda ctx: None, [MetricSpec("n")])]
        """
    )
    gates("[lint.ruff]\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "two plugins register the check type 'ruff'" in result.stderr.str()


def test_without_tower_nothing_is_collected_or_imported(pytester, gates) -> None:
    gates("[lint.ruff]\n")
    pytester.makepyfile(test_plain="def test_plain(): pass")
    pytester.makeconftest(
        """
        import json, sys

        def pytest_sessionfinish(session):
            loaded = sorted(m for m in sys.modules if m.startswith("pytest_tower"))
            open("loaded.json", "w").write(json.dumps(loaded))
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert "TOWER" not in result.stdout.str()
    loaded = json.loads((pytester.path / "loaded.json").read_text())
    assert loaded == ["pytest_tower", "pytest_tower.hookspecs", "pytest_tower.plugin"]


def test_under_xdist_every_gate_runs_once_and_the_verdict_is_one(project, report_of) -> None:
    pytest.importorskip("xdist")
    result = project.runpytest("--tower", "-n", "2", "-p", "xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert out.count("TOWER GATE FAILED") == 1
    checks = report_of(project)["checks"]
    assert [c["verdict"] for c in checks].count("failed") == 1
    assert all(c["verdict"] != "skipped" for c in checks)
