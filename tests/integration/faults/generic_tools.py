"""Fault cases of the generic check types (command, junit, sarif): any tool, judged only
from what this run wrote. A tool missing, an exit code outside `ok_codes`, a report
missing / stale / garbage / empty / a billion laughs, an output glob matching nothing,
yesterday's dist/, a metrics file that is not numbers, a SARIF log the schema refuses or
whose run failed, a secret that must not be echoed: none passes."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

PY = sys.executable
DAY = 86400


def old_file(name: str, text: str) -> Callable[[Path], None]:
    """`name` written with yesterday's modification time (a leftover of an earlier run)."""
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        past = time.time() - DAY
        os.utime(path, (past, past))
    return setup


def writes(name: str, text: str) -> str:
    """A `run` list (TOML) that writes `text` to `name`, as a tool writing its report."""
    code = f"import pathlib; p = pathlib.Path({name!r}); p.parent.mkdir(exist_ok=True, " \
           f"parents=True); p.write_text({text!r})"
    return json.dumps([PY, "-c", code])


JUNIT_OK = ('<?xml version="1.0"?><testsuites><testsuite name="s" tests="1">'
            '<testcase name="t" classname="c" time="0.1"/></testsuite></testsuites>')
JUNIT_EMPTY = '<?xml version="1.0"?><testsuites tests="0"><testsuite name="s" tests="0"/>' \
              "</testsuites>"
JUNIT_SKIPPED = ('<testsuite name="s" tests="2"><testcase name="a"><skipped/></testcase>'
                 '<testcase name="b"><skipped/></testcase></testsuite>')
JUNIT_LIES = ('<testsuite name="s" tests="3" failures="0"><testcase name="a">'
              '<failure message="boom">x</failure></testcase></testsuite>')
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<testsuites><testsuite name="&lol2;" tests="1"><testcase name="t"/></testsuite>'
        "</testsuites>")


def sarif(results: list[dict], **run: object) -> str:
    log = {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "scanner", "version": "1.0",
                                         "rules": [{"id": "X1"}]}},
                     "results": results, **run}]}
    return json.dumps(log)


ERROR_RESULT = {"ruleId": "X1", "level": "error", "message": {"text": "bad thing"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"},
                                                    "region": {"startLine": 3}}}]}


def junit(run: str, report: str = "out/junit.xml", extra: str = "") -> str:
    return f"[t.junit]\nrun = {run}\nreport = {json.dumps(report)}\n{extra}"


def sarif_check(run: str, report: str = "out.sarif", extra: str = "") -> str:
    return f"[s.sarif]\nrun = {run}\nreport = {json.dumps(report)}\n{extra}"


def command(run: str, extra: str = "") -> str:
    return f"[b.command]\nrun = {run}\n{extra}"


CASES = [
    # -- command --------------------------------------------------------------------------
    FaultCase(id="generic-command-tool-missing",
              gates=command('["no-such-build-tool-xyz", "build"]'),
              expect="no-such-build-tool-xyz is not installed"),
    FaultCase(id="generic-command-shell-program-missing",
              gates=command('"no-such-build-tool-xyz --minify"', "shell = true\n"),
              expect="the shell could not find a program the command names (exit 127"),
    FaultCase(id="generic-command-exit-code-outside-ok-codes",
              gates=command(json.dumps([PY, "-c", "raise SystemExit(3)"]),
                            "ok_codes = [0, 1]\n"),
              expect="exited with code 3, which is not a result (expected 0, 1)"),
    FaultCase(id="generic-command-shell-line-fails",
              gates=command('"true && exit 7"', "shell = true\n"),
              expect="exited with code 7"),
    FaultCase(id="generic-command-string-without-shell", rc=4,
              gates=command('"npm run build"'), expect="which needs a shell"),
    FaultCase(id="generic-command-hangs-past-timeout",
              gates=command('["sleep", "30"]', 'timeout = "1s"\n'),
              expect="timed out after 1s and was stopped"),
    FaultCase(id="generic-command-output-glob-matches-nothing",
              gates=command('["true"]', 'outputs = ["dist/*.js"]\n'
                            'conditions = ["size < 20kB"]\n'),
              expect="outputs 'dist/*.js' matches no file"),
    FaultCase(id="generic-command-output-glob-matches-only-a-folder",
              gates=command('["mkdir", "-p", "dist/app.js"]', 'outputs = ["dist/*.js"]\n'
                            'conditions = ["size < 20kB"]\n'),
              expect="(only 1 folder(s) or special files)"),
    FaultCase(id="generic-command-yesterdays-dist",
              gates=command('["true"]', 'outputs = ["dist/*.js"]\n'
                            'conditions = ["gzip_size < 20kB"]\n'),
              setup=old_file("dist/app.js", "console.log(1)\n"),
              expect="are older than this run (the command did not write them): dist/app.js"),
    FaultCase(id="generic-command-one-output-of-two-stale",
              gates=command('["touch", "dist/new.js"]', 'outputs = ["dist/*.js"]\n'
                            'conditions = ["size < 20kB"]\n'),
              setup=old_file("dist/old.js", "x\n"), expect="dist/old.js"),
    FaultCase(id="generic-command-size-key-typo",
              gates=command(writes("dist/app.js", "console.log(1)"),
                            'outputs = ["dist/*.js"]\n'
                            'conditions = ["gzip_size[dist/ap.js] < 20kB"]\n'),
              expect="gzip_size[dist/app.js]"),
    FaultCase(id="generic-command-size-budget-exceeded",
              gates=command(writes("dist/app.js", "x" * 3000), 'outputs = ["dist/*.js"]\n'
                            'conditions = ["size[dist/app.js] < 1kB"]\n'),
              expect="FAIL  size[dist/app.js] < 1kB"),
    FaultCase(id="generic-command-metrics-file-missing",
              gates=command('["true"]', 'metrics_file = "bench.json"\n'
                            'conditions = ["value[p95] < 200"]\n'),
              expect="metrics_file 'bench.json' matches no file"),
    FaultCase(id="generic-command-metrics-file-stale",
              gates=command('["true"]', 'metrics_file = "bench.json"\n'
                            'conditions = ["value[p95] < 200"]\n'),
              setup=old_file("bench.json", '{"p95": 12}'), expect="older than this run"),
    FaultCase(id="generic-command-metrics-file-non-numeric",
              gates=command(writes("bench.json", '{"p95": "12ms", "rps": 40}'),
                            'metrics_file = "bench.json"\nconditions = ["value[rps] > 1"]\n'),
              expect="'p95' is \"12ms\", not a finite number"),
    FaultCase(id="generic-command-metrics-file-nan",
              gates=command(writes("bench.json", '{"p95": NaN}'),
                            'metrics_file = "bench.json"\nconditions = ["value[p95] < 1"]\n'),
              expect="metrics_file bench.json is not JSON"),
    FaultCase(id="generic-command-metrics-file-boolean",
              gates=command(writes("bench.json", '{"ok": true}'),
                            'metrics_file = "bench.json"\nconditions = ["value[ok] == 1"]\n'),
              expect="'ok' is true, not a finite number"),
    FaultCase(id="generic-command-metrics-file-empty-object",
              gates=command(writes("bench.json", "{}"),
                            'metrics_file = "bench.json"\nconditions = ["value[p95] < 1"]\n'),
              expect="holds no metric (an empty object)"),
    FaultCase(id="generic-command-metrics-file-a-list",
              gates=command(writes("bench.json", "[1, 2]"),
                            'metrics_file = "bench.json"\nconditions = ["value[p95] < 1"]\n'),
              expect="holds list, not a JSON object"),
    FaultCase(id="generic-command-secret-unset",
              gates=command('["true"]', 'env = { TOKEN = "{env:TOWER_TEST_UNSET_SECRET}" }\n'),
              expect="environment variable TOWER_TEST_UNSET_SECRET is not set"),
    FaultCase(id="generic-command-secret-masked-when-it-fails",
              gates=command('"echo token=$TOKEN >&2; exit 9"',
                            'shell = true\nenv = { TOKEN = "{env:GENERIC_SECRET}" }\n'),
              env={"GENERIC_SECRET": "s3cr3t-value-42"}, expect="token=***"),
    FaultCase(id="generic-command-output-outside-project", rc=4,
              gates=command('["true"]', 'outputs = ["../elsewhere/*.js"]\n'),
              expect="must be a path or glob relative to gates.toml, inside the project"),
    # -- junit ----------------------------------------------------------------------------
    FaultCase(id="generic-junit-runner-missing",
              gates=junit('["no-such-test-runner-xyz"]'),
              expect="no-such-test-runner-xyz is not installed"),
    FaultCase(id="generic-junit-report-missing", gates=junit('["true"]'),
              expect="report 'out/junit.xml' matches no file"),
    FaultCase(id="generic-junit-report-stale", gates=junit('["true"]'),
              setup=old_file("out/junit.xml", JUNIT_OK), expect="older than this run"),
    FaultCase(id="generic-junit-report-garbage",
              gates=junit(writes("out/junit.xml", "<testsuites><testcase")),
              expect="report out/junit.xml is not readable XML"),
    FaultCase(id="generic-junit-report-not-junit",
              gates=junit(writes("out/junit.xml", "<html><body>oops</body></html>")),
              expect="its root is <html>"),
    FaultCase(id="generic-junit-report-zero-cases",
              gates=junit(writes("out/junit.xml", JUNIT_EMPTY)),
              expect="holds no test case: no test ran"),
    FaultCase(id="generic-junit-every-case-skipped",
              gates=junit(writes("out/junit.xml", JUNIT_SKIPPED)),
              expect="FAIL  passed >= 1  (measured 0)"),
    FaultCase(id="generic-junit-totals-lie-cases-count",
              gates=junit(writes("out/junit.xml", JUNIT_LIES)),
              expect="FAIL  failed == 0  (measured 1)"),
    FaultCase(id="generic-junit-entity-bomb-refused",
              gates=junit(writes("out/junit.xml", BOMB)),
              expect="declares XML entities or a DTD"),
    FaultCase(id="generic-junit-exit-1-but-report-all-green",
              gates=junit(json.dumps([PY, "-c", f"import pathlib; p = pathlib.Path('out'); "
                                      f"p.mkdir(); (p / 'junit.xml').write_text({JUNIT_OK!r})"
                                      "; raise SystemExit(1)"])),
              expect="exited with code 1 but its report (out/junit.xml) shows no failed test"),
    FaultCase(id="generic-junit-exit-code-outside-ok-codes",
              gates=junit(json.dumps([PY, "-c", "raise SystemExit(2)"])),
              expect="exited with code 2, which is not a result (expected 0, 1)"),
    FaultCase(id="generic-junit-node-finds-no-test",
              gates=junit('"mkdir -p out && node --test --test-reporter=junit '
                          '--test-reporter-destination=out/junit.xml"', extra="shell = true\n"),
              expect="holds no test case"),
    FaultCase(id="generic-junit-implied-floor-kept", rc=1,
              gates=junit(writes("out/junit.xml", JUNIT_SKIPPED),
                          extra='conditions = ["tests >= 0", "passed >= 0"]\n'),
              expect="FAIL  passed >= 1"),
    # -- sarif ----------------------------------------------------------------------------
    FaultCase(id="generic-sarif-producer-missing",
              gates=sarif_check('["no-such-scanner-xyz"]'),
              expect="no-such-scanner-xyz is not installed"),
    FaultCase(id="generic-sarif-log-missing", gates=sarif_check('["true"]'),
              expect="report 'out.sarif' matches no file"),
    FaultCase(id="generic-sarif-log-stale", gates=sarif_check('["true"]'),
              setup=old_file("out.sarif", sarif([])), expect="older than this run"),
    FaultCase(id="generic-sarif-log-garbage",
              gates=sarif_check(writes("out.sarif", "{not json")),
              expect="report out.sarif is not JSON"),
    FaultCase(id="generic-sarif-invalid-against-schema",
              gates=sarif_check(writes("out.sarif", json.dumps(
                  {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [
                      {"level": "fatal", "message": {"text": "x"}}]}]}))),
              expect="is not valid SARIF 2.1.0 (the OASIS schema says"),
    FaultCase(id="generic-sarif-wrong-version",
              gates=sarif_check(writes("out.sarif", sarif([]).replace('"2.1.0"', '"2.0.0"'))),
              expect="is not valid SARIF 2.1.0"),
    FaultCase(id="generic-sarif-no-run",
              gates=sarif_check(writes("out.sarif", '{"version": "2.1.0", "runs": []}')),
              expect="holds no run: no analysis ran"),
    FaultCase(id="generic-sarif-run-did-not-succeed",
              gates=sarif_check(writes("out.sarif", sarif([], invocations=[{
                  "executionSuccessful": False, "toolExecutionNotifications": [
                      {"level": "error", "message": {"text": "could not parse b.py"}}]}]))),
              expect="could not parse b.py"),
    FaultCase(id="generic-sarif-error-result",
              gates=sarif_check(writes("out.sarif", sarif([ERROR_RESULT]))),
              expect="FAIL  results[error] == 0  (measured 1)"),
    FaultCase(id="generic-sarif-level-from-rule-default",
              gates=sarif_check(writes("out.sarif", sarif(
                  [{"ruleId": "X1", "message": {"text": "m"}}],
                  tool={"driver": {"name": "scanner", "rules": [
                      {"id": "X1", "defaultConfiguration": {"level": "error"}}]}}))),
              expect="FAIL  results[error] == 0  (measured 1)"),
    FaultCase(id="generic-sarif-suppression-under-review-counts",
              gates=sarif_check(writes("out.sarif", sarif([{**ERROR_RESULT, "suppressions": [
                  {"kind": "inSource", "status": "underReview"}]}]))),
              expect="FAIL  results[error] == 0  (measured 1)"),
    FaultCase(id="generic-sarif-rule-key-unknown",
              gates=sarif_check(writes("out.sarif", sarif([])),
                                extra='conditions = ["results[X2] == 0"]\n'),
              expect="'X2' is not a key the tool knows for results"),
    FaultCase(id="generic-sarif-exit-1-but-no-result",
              gates=sarif_check(json.dumps([PY, "-c", "import pathlib; pathlib.Path("
                                            f"'out.sarif').write_text({sarif([])!r}); "
                                            "raise SystemExit(1)"])),
              expect="exited with code 1 but its log (out.sarif) holds no result"),
    FaultCase(id="generic-sarif-report-empty-list", rc=4,
              gates=sarif_check('["true"]').replace('report = "out.sarif"', "report = []"),
              expect="report is empty"),
    FaultCase(id="generic-junit-report-empty-list", rc=4,
              gates=junit('["true"]').replace('report = "out/junit.xml"', "report = []"),
              expect="report is empty"),
    FaultCase(id="generic-sarif-analysed-nothing",
              gates=sarif_check(writes("out.sarif", sarif([])),
                                extra='conditions = ["results == 0", "artifacts >= 1"]\n'),
              expect="FAIL  artifacts >= 1  (measured 0)"),
    FaultCase(id="generic-sarif-new-results-without-base", rc=4,
              gates=sarif_check('["true"]', extra='conditions = ["new_results == 0"]\n'),
              expect="measures new code, which needs a git base"),
]
