"""Fault cases of the security-testing checks (schemathesis, wapiti): never a pass.

Config mistakes are exit 4 before any tool runs. The run-time cases need no
real tool: the target is a bare listening socket (a TCP connect succeeds,
which is all the reachability probe asks), and `python` is a fake interpreter
that answers the version probe like the real tool venv, then lies the way a
broken or misused tool would: no report, a report of nothing, a report from
another run, a scan that never ran its modules. The real tools' own traps
(schema 404, zero operations selected, wrong credentials, unreachable target)
are in tests/integration/test_security_testing.py.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

_LISTENERS: list[socket.socket] = []  # kept open for the session: connects must succeed

ST = '[security.api]\ntool = "schemathesis"\n'
WAPITI = '[security.dast]\ntool = "wapiti"\n'
TARGET = 'base_url = "http://127.0.0.1:PORT"\n'
FAKE = 'python = "fake/python"\n'

# The fake interpreter: the version probe (`-c "import importlib.metadata ..."`) gets
# VERSION; a run (`-c LAUNCHER args...`) runs BODY with `args` and `after(flag)`.
FAKE_PY = """\
#!{python}
import json, pathlib, sys
args = sys.argv[1:]
if args[:1] == ["-c"] and "importlib.metadata" in args[1]:
    print({version!r})
    sys.exit(0)
args = args[2:]
def after(flag):
    return args[args.index(flag) + 1] if flag in args else None
{body}
"""
ST_REPORT = """
report = {{"schemathesis_version": "4.32.5", "complete": {complete}, "stop_reason": {stop!r},
          "exit_code": {code}, "seed": 1, "failures": {failures}, "errors": [],
          "operations": {{"total": 3, "selected": 3, "tested": {tested}, "errored": 0,
                         "skipped": 0, "skip_reasons": []}},
          "test_cases": {{"generated": {generated}}}, "warnings": {{}}}}
pathlib.Path(after("--report-json-path")).write_text(json.dumps(report))
pathlib.Path(after("--report-junit-path")).write_text(
    '<testsuites tests="0" failures="0"><testsuite name="schemathesis" tests="0"/></testsuites>')
sys.exit({rc})
"""
WAPITI_REPORT = """
url = after("-u")
report = {{"vulnerabilities": {{"Clickjacking Protection": []}}, "anomalies": {{}},
          "additionals": {{}}, "infos": {{"target": {target}, "version": "Wapiti 3.2.3",
          "crawled_pages_nbr": {crawled}}}}}
pathlib.Path(after("-o")).write_text(json.dumps(report))
print({log!r})
"""


def listening(then: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    """A socket that accepts TCP connects; PORT in gates.toml becomes its port."""
    def setup(root: Path) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        _LISTENERS.append(sock)
        gates = root / "gates.toml"
        gates.write_text(gates.read_text().replace("PORT", str(sock.getsockname()[1])))
        if then is not None:
            then(root)
    return setup


def fake(body: str, version: str = "4.32.5") -> Callable[[Path], None]:
    def write(root: Path) -> None:
        path = root / "fake" / "python"
        path.parent.mkdir(exist_ok=True)
        path.write_text(FAKE_PY.format(python=sys.executable, version=version, body=body))
        path.chmod(0o755)
    return listening(write)


def st_report(*, complete: bool = True, stop: str = "completed", code: int = 0,
              tested: int = 3, generated: int = 10, rc: int = 0, failures: str = "[]") -> str:
    return ST_REPORT.format(complete=complete, stop=stop, code=code, tested=tested,
                            generated=generated, rc=rc, failures=failures)


def wapiti_report(*, crawled: int = 3, log: str = "[*] Launching module http_headers\n"
                  "[*] Launching module cookieflags\n[*] Launching module csp\n"
                  "[*] Launching module methods", target: str = "url") -> str:
    return WAPITI_REPORT.format(crawled=crawled, log=log, target=target)


CASES = [
    # gates.toml mistakes: exit 4, before any tool runs
    FaultCase("security-no-target", ST, "name the application to attack", rc=4),
    FaultCase("security-st-check-typo", ST + TARGET + 'checks = ["not_a_server_eror"]\n',
              "did you mean 'not_a_server_error'?", rc=4),
    FaultCase("security-st-schema-elsewhere", ST + TARGET + 'schema = "http://x.test/o.json"\n',
              "the schema is only read from the application under test", rc=4),
    FaultCase("security-st-waiver-unknown-id", ST + TARGET + 'ignore = [{ id = "ST999", '
              'reason = "r", until = 2099-01-01 }]\n', "is neither a schemathesis check", rc=4),
    FaultCase("security-wapiti-scope-domain", WAPITI + TARGET + 'scope = "domain"\n',
              "'url', 'page', 'folder'", rc=4),
    FaultCase("security-wapiti-ssrf-no-endpoint", WAPITI + TARGET + 'modules = ["ssrf"]\n',
              "set endpoint", rc=4),
    FaultCase("security-wapiti-module-typo", WAPITI + TARGET + 'modules = ["csrf", "sqli"]\n',
              "'sqli' is not a wapiti module (did you mean 'sql'?)", rc=4),
    FaultCase("security-wapiti-waiver-no-date", WAPITI + TARGET + 'ignore = [{ id = "csp", '
              'reason = "r" }]\n', "every waiver expires", rc=4),
    FaultCase("security-bad-base-url", WAPITI + 'base_url = "127.0.0.1:8000"\n',
              "must be an http:// or https:// URL", rc=4),
    # the target: refused, secrets missing
    FaultCase("security-st-refused", ST + 'base_url = "http://127.0.0.1:9"\n',
              "the target http://127.0.0.1:9 cannot be reached"),
    FaultCase("security-wapiti-refused", WAPITI + 'base_url = "http://127.0.0.1:9"\n',
              "the target http://127.0.0.1:9 cannot be reached"),
    FaultCase("security-secret-unset", ST + TARGET
              + 'headers = { Authorization = "Bearer {env:TOWER_FAULT_UNSET_TOKEN}" }\n',
              "environment variable TOWER_FAULT_UNSET_TOKEN is not set"),
    FaultCase("security-python-missing", WAPITI + TARGET + 'python = "no/such/python"\n',
              "python = 'no/such/python': no such interpreter", setup=listening()),
    FaultCase("security-st-schema-file-missing", ST + TARGET + 'schema = "api/openapi.json"\n',
              "schema = 'api/openapi.json': no such file under", setup=listening()),
    FaultCase("security-st-config-missing", ST + TARGET + 'config = "st.toml"\n',
              "config = 'st.toml': no such file under", setup=listening()),
    FaultCase("security-st-version", ST + TARGET + FAKE, "schemathesis 3.39.0 (",
              setup=fake("sys.exit(0)", version="3.39.0")),
    # schemathesis lies
    FaultCase("security-st-no-report", ST + TARGET + FAKE,
              "schemathesis exited 0 and no JSON run report", setup=fake("sys.exit(0)")),
    FaultCase("security-st-schema-not-loaded", ST + TARGET + FAKE,
              "schemathesis could not run (exit 2)",
              setup=fake(st_report(complete=False, stop="error", code=2, tested=0,
                                   generated=0, rc=2))),
    FaultCase("security-st-nothing-tested", ST + TARGET + FAKE,
              "schemathesis tested none of the 3 selected operations",
              setup=fake(st_report(tested=0, generated=0))),
    FaultCase("security-st-report-of-another-run", ST + TARGET + FAKE,
              "schemathesis exited 1 but its run report says 0",
              setup=fake(st_report(code=0, rc=1))),
    FaultCase("security-st-failures-yet-exit-0", ST + TARGET + FAKE,
              "schemathesis exited 0 but its run report lists failures",
              setup=fake(st_report(failures='[{"code": "ST101", "count": 1, "type": "S", '
                                            '"title": "Server error", "operations": []}]'))),
    FaultCase("security-st-stopped-early", ST + TARGET + FAKE,
              "schemathesis stopped early (interrupted)",
              setup=fake(st_report(stop="interrupted"))),
    # wapiti lies (it exits 0 whatever happened)
    FaultCase("security-wapiti-no-report", WAPITI + TARGET + FAKE,
              "wapiti exited 0 and no JSON report", setup=fake("sys.exit(0)", "3.2.3")),
    FaultCase("security-wapiti-garbage", WAPITI + TARGET + FAKE, "is unreadable",
              setup=fake('pathlib.Path(after("-o")).write_text("<html>")', "3.2.3")),
    FaultCase("security-wapiti-crawled-nothing", WAPITI + TARGET + FAKE,
              "wapiti crawled nothing at", setup=fake(wapiti_report(crawled=0), "3.2.3")),
    FaultCase("security-wapiti-no-module-ran", WAPITI + TARGET + FAKE,
              "no attack module ran to its end", setup=fake(wapiti_report(log=""), "3.2.3")),
    FaultCase("security-wapiti-scan-time-cut", WAPITI + TARGET + FAKE,
              "the crawl was cut by max_scan_time and no attack module finished",
              setup=fake(wapiti_report(log="Max scan time was reached, stopping."), "3.2.3")),
    FaultCase("security-wapiti-module-cut", WAPITI + TARGET + FAKE,
              "wapiti cut module(s) csp short at max_attack_time",
              setup=fake(wapiti_report(log="[*] Launching module http_headers\n"
                                           "[*] Launching module cookieflags\n"
                                           "[*] Launching module csp\n"
                                           "Max attack time was reached for module csp\n"
                                           "[*] Launching module methods"), "3.2.3")),
    FaultCase("security-wapiti-module-never-ran", WAPITI + TARGET + FAKE,
              "wapiti never ran module(s) methods",
              setup=fake(wapiti_report(log="[*] Launching module http_headers\n[*] Launching "
                                           "module cookieflags\n[*] Launching module csp"),
                         "3.2.3")),
    FaultCase("security-wapiti-other-target", WAPITI + TARGET + FAKE,
              "not the target http://127.0.0.1:",
              setup=fake(wapiti_report(target='"http://example.test/"'), "3.2.3")),
]
