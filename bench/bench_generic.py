"""Bench the generic check types' readers (issue 12): what judging a tool's file costs.

1. SARIF: a log of N results read by the sarif check type (full validation against
   the OASIS schema with jsonschema, then counting), in a fresh process so the
   `import jsonschema` cost shows apart.
2. JUnit: a report of N test cases read with defusedxml.

Run: python bench/bench_generic.py [--results 5000] [--cases 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PY = sys.executable

SARIF_READ = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from pytest_tower.checks.sarif.read import _validator, read_log
_validator()
t1 = time.perf_counter()
log = read_log(Path(sys.argv[1]), "bench", Path(sys.argv[2]), Path(sys.argv[2]))
t2 = time.perf_counter()
print(f"{len(log.results)} {t1 - t0:.3f} {t2 - t1:.3f}")
"""
JUNIT_READ = """
import sys, time
from pathlib import Path
from pytest_tower.checks.junit.read import read_report
t0 = time.perf_counter()
counts = read_report(Path(sys.argv[1]), "bench")
print(f"{counts.tests} {time.perf_counter() - t0:.3f}")
"""


def sarif_log(results: int, root: Path) -> dict[str, object]:
    found = [{"ruleId": f"R{i % 50}", "level": "warning", "message": {"text": f"finding {i}"},
              "locations": [{"physicalLocation": {
                  "artifactLocation": {"uri": (root / f"pkg/m{i % 200}.py").as_uri()},
                  "region": {"startLine": i % 400 + 1, "startColumn": 1}}}]}
             for i in range(results)]
    return {"version": "2.1.0", "runs": [{"tool": {"driver": {
        "name": "bench", "rules": [{"id": f"R{i}"} for i in range(50)]}}, "results": found}]}


def junit_xml(cases: int) -> str:
    rows = "".join(f'<testcase name="t{i}" classname="m{i % 100}" time="0.001"/>'
                   for i in range(cases))
    return f'<?xml version="1.0"?><testsuites><testsuite name="s">{rows}</testsuite></testsuites>'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sarif = root / "bench.sarif"
        sarif.write_text(json.dumps(sarif_log(args.results, root)))
        out = subprocess.run([PY, "-c", SARIF_READ, str(sarif), str(root)], check=True,
                             capture_output=True, text=True).stdout.split()
        size = sarif.stat().st_size / 1e6
        print(f"sarif: {out[0]} results ({size:.1f} MB): import + schema {out[1]} s, "
              f"validate + read {out[2]} s")
        xml = root / "junit.xml"
        xml.write_text(junit_xml(args.cases))
        out = subprocess.run([PY, "-c", JUNIT_READ, str(xml)], check=True,
                             capture_output=True, text=True).stdout.split()
        print(f"junit: {out[0]} cases ({xml.stat().st_size / 1e6:.1f} MB): read {out[1]} s")


if __name__ == "__main__":
    main()
