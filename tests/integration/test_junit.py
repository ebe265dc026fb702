"""The `junit` check type with real runners: Node's built-in `node --test` (JUnit
reporter, test cases straight under <testsuites>) and pytest's own `--junitxml`
(nested suites, skips, xfails, fixture errors). Faults: faults/generic_tools.py.
"""

from __future__ import annotations

import json
import sys

NODE_TESTS = {
    "test/math.test.mjs": """\
        import { test, describe, it } from "node:test";
        import assert from "node:assert/strict";
        test("adds", () => assert.equal(1 + 1, 2));
        test("later", { todo: true }, () => {});
        describe("nested", () => {
          it("multiplies", () => assert.equal(2 * 3, 6));
          it("divides", () => assert.equal(6 / 3, 2));
        });
        """,
}
FAILING = """\
    import { test } from "node:test";
    import assert from "node:assert/strict";
    test("ok", () => assert.ok(true));
    test("broken sum", () => assert.equal(1 + 1, 3));
    """
NODE = ("""
    [frontend.tests]
    tool = "junit"
    run = "mkdir -p reports && node --test --test-reporter=junit """
        """--test-reporter-destination=reports/junit.xml"
    shell = true
    report = "reports/junit.xml"
""")


def test_node_test_runner_every_case_counted(run_tower) -> None:
    run = run_tower(NODE + 'conditions = ["failed == 0", "tests == 4"]\n', files=NODE_TESTS)
    assert run.rc == 0 and run.clean, run.output
    metrics = run.check["metrics"]
    # the nested describe's cases count too (Node writes them under a <testsuite>)
    assert metrics | {"duration": 0} == {"tests": 4, "passed": 3, "failed": 0, "errors": 0,
                                         "skipped": 1, "duration": 0, "reports": 1}
    # the implied floors are reported with the user's conditions
    exprs = [c["expr"] for c in run.check["conditions"]]
    assert "passed >= 1" in exprs and "errors == 0" in exprs


def test_node_failing_test_is_a_failed_gate_with_the_test_named(run_tower) -> None:
    run = run_tower(NODE, files={"test/bad.test.mjs": FAILING})
    assert run.rc == 1 and run.check["verdict"] == "failed", run.output
    assert run.check["metrics"]["failed"] == 1 and run.check["metrics"]["passed"] == 1
    (finding,) = run.check["findings"]
    assert finding["code"] == "failed"
    assert finding["message"].startswith("broken sum: ")
    assert "broken sum" in run.output


def test_pytest_junitxml(run_tower) -> None:
    tests = """\
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        def test_ok():
            assert True

        def test_bad():
            assert 1 == 2, "one is not two"

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass

        @pytest.mark.xfail(reason="known")
        def test_known_bug():
            assert False

        def test_needs_broken(broken):
            pass
        """
    run_argv = json.dumps([sys.executable, "-m", "pytest", "inner", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--junitxml=reports/inner.xml", "-q"])
    run = run_tower(f"""
        [unit.inner]
        tool = "junit"
        run = {run_argv}
        report = "reports/*.xml"
    """, files={"inner/test_inner.py": tests, "inner/conftest.py": ""})
    assert run.check["verdict"] == "failed", run.output
    metrics = run.check["metrics"]
    assert (metrics["tests"], metrics["passed"], metrics["failed"], metrics["errors"],
            metrics["skipped"]) == (5, 1, 1, 1, 2)
    found = {f["code"]: f for f in run.check["findings"]}
    assert "test_bad" in found["failed"]["message"]
    assert "test_needs_broken" in found["error"]["message"]


def test_several_reports_summed(run_tower) -> None:
    node = ("node --test --test-reporter=junit --test-reporter-destination=reports/{0}.xml "
            "test/{0}.test.mjs")
    run = run_tower(f"""
        [frontend.tests]
        tool = "junit"
        run = "mkdir -p reports && {node.format('math')} && {node.format('more')}"
        shell = true
        report = "reports/*.xml"
    """, files={**NODE_TESTS, "test/more.test.mjs": 'import { test } from "node:test";\n'
                'test("one more", () => {});\n'})
    assert run.rc == 0, run.output
    assert run.check["metrics"]["reports"] == 2 and run.check["metrics"]["tests"] == 5


def test_an_old_report_beside_a_fresh_one_errors(run_tower, pytester) -> None:
    first = run_tower(NODE.replace("reports/junit.xml", "reports/junit-1.xml")
                      .replace('report = "reports/junit-1.xml"', 'report = "reports/*.xml"'),
                      files=NODE_TESTS)
    assert first.rc == 0, first.output
    second = run_tower(NODE.replace("reports/junit.xml", "reports/junit-2.xml")
                       .replace('report = "reports/junit-2.xml"', 'report = "reports/*.xml"'))
    assert second.check["verdict"] == "error", second.output
    assert "older than this run" in second.output and "reports/junit-1.xml" in second.output
