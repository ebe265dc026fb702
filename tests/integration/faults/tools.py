"""Fault cases: the tool checks other than ruff and test stages — pip-audit, bandit,
files, licenses, sbom, build, load. Databases that hold nothing for PyPI, configs
that run no test, placeholders for required files, backends that build nothing,
tools that report success without evidence."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

from tests.integration.faults import FaultCase
from tests.integration.faults.lint import executable

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "advisories"
AUDIT = ('[security.pip-audit]\nrequirements = ["requirements.txt"]\nno_deps = true\n'
         'advisory_db = "osv"\n')
PINS = {"requirements.txt": "requests==2.19.0\n"}
UNUSABLE = "advisory database unusable"
BANDIT = '[security.bandit]\npaths = ["src"]\n'
SRC = {"src/app.py": "def add(a, b):\n    return a + b\n"}
ALL_BANDIT_TESTS = (  # bandit 1.9's 75 tests, as `bandit -h` lists them
    "B101,B102,B103,B104,B105,B106,B107,B108,B110,B112,B113,B201,B202,B301,B302,B303,B304,"
    "B305,B306,B307,B308,B310,B311,B312,B313,B314,B315,B316,B317,B318,B319,B321,B323,B324,"
    "B401,B402,B403,B404,B405,B406,B407,B408,B409,B411,B412,B413,B415,B501,B502,B503,B504,"
    "B505,B506,B507,B508,B509,B601,B602,B603,B604,B605,B606,B607,B608,B609,B610,B611,B612,"
    "B613,B614,B615,B701,B702,B703,B704")
FILES = '[compliance.files]\nrequired = ["LICENSE", "README.md"]\n'
README = {"README.md": "# project\n"}
SHEBANG = f"#!{sys.executable}\n"


def record(rid: str, **fields: object) -> str:
    return json.dumps({"id": rid, "summary": "synthetic, made up for the battery", **fields})


def npm(rid: str) -> str:
    return record(rid, affected=[{"package": {"ecosystem": "npm", "name": "left-pad"},
                                  "versions": ["1.0.0"]}])


def zip_db(members: dict[str, str]) -> object:
    def setup(root: Path) -> None:
        with zipfile.ZipFile(root / "osv", "w") as archive:
            for name, text in members.items():
                archive.writestr(name, text)
    return setup


def symlink(name: str, target: str) -> object:
    def setup(root: Path) -> None:
        (root / name).symlink_to(root / target)
    return setup


def folder(*names: str) -> object:
    def setup(root: Path) -> None:
        for name in names:
            (root / name).mkdir(parents=True, exist_ok=True)
    return setup


def listing(distributions: list[dict[str, object]]) -> str:
    """A fake interpreter for the licence and SBOM checks: lists these distributions."""
    data = {"python": "/fake/python", "distributions": distributions}
    return SHEBANG + f"print('TOWER-DISTRIBUTIONS ' + {json.dumps(json.dumps(data))})\n"


FAKE_CYCLONEDX = SHEBANG + """\
import json, sys
out = sys.argv[sys.argv.index("--output-file") + 1]
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}, open(out, "w"))
"""
# A fake interpreter for the load check: locust "installed", the runner writes `result`.
FAKE_LOCUST_PYTHON = SHEBANG + """\
import json, sys
if sys.argv[1] == "-c":
    print("2.47.0")
    sys.exit(0)
spec = json.load(open(sys.argv[2]))
json.dump(RESULT, open(spec["result"], "w"))
"""
# A fake pip-audit that does what the real one does when its service answers 404:
# skips every package, says nothing is vulnerable, exits 0 (TOOLS.md).
FAKE_SKIPPING_AUDIT = SHEBANG + """\
import json, sys
if "--version" in sys.argv:
    print("pip-audit 2.10.1")
    sys.exit(0)
out = sys.argv[sys.argv.index("--output") + 1]
skip = "Dependency not found on PyPI and could not be audited: requests (2.19.0)"
json.dump({"dependencies": [{"name": "requests", "skip_reason": skip}], "fixes": []},
          open(out, "w"))
print("No known vulnerabilities found")
"""
ZERO = {"error": None, "elapsed": 2.0, "duration": 2.0, "exceptions": [], "errors": [],
        "total": {"requests": 0, "failures": 0}, "endpoints": {}, "aborted_at": None,
        "resources": None, "workers": []}
LAZY_BACKEND = ('[build-system]\nrequires = []\nbuild-backend = "lazy"\nbackend-path = ["."]\n'
                '[project]\nname = "lazy"\nversion = "1.0"\n')
WHEEL = "lazy-1.0-py3-none-any.whl"


def load_case(case_id: str, result: str, expect: str) -> FaultCase:
    return FaultCase(
        id=case_id, expect=expect,
        gates='[performance.load]\nlocustfile = "locustfile.py"\npython = "./fakepy"\n'
              'duration = "1s"\n',
        files={"locustfile.py": "from locust import HttpUser\n",
               "fakepy": FAKE_LOCUST_PYTHON.replace("RESULT", result)},
        setup=executable("fakepy"))


CASES = [
    # pip-audit, offline: databases that would answer "clean" to every query
    FaultCase(id="pip-audit-db-only-npm", gates=AUDIT, files={**PINS, "osv/a.json": npm("G-1")},
              setup=None, expect="holds no advisory for a PyPI package"),
    FaultCase(id="pip-audit-db-without-affected", gates=AUDIT,
              files={**PINS, "osv/a.json": record("X-1"), "osv/b.json": record("X-2")},
              expect="2 without `affected`"),
    FaultCase(id="pip-audit-db-pypi-entries-match-nothing", gates=AUDIT,
              files={**PINS, "osv/a.json": record(
                  "X-1", affected=[{"package": {"ecosystem": "PyPI", "name": "requests"}}])},
              expect="1 PyPI entries with no version or range"),
    FaultCase(id="pip-audit-db-empty-zip", gates=AUDIT, files=PINS, setup=zip_db({}),
              expect="holds no usable OSV records (0 files"),
    FaultCase(id="pip-audit-db-zip-of-text", gates=AUDIT, files=PINS,
              setup=zip_db({"README.txt": "no records here", "a.yaml": "id: X"}),
              expect="holds no usable OSV records"),
    FaultCase(id="pip-audit-db-zip-of-garbage-json", gates=AUDIT, files=PINS,
              setup=zip_db({"a.json": "{not json"}), expect="not an OSV JSON record"),
    FaultCase(id="pip-audit-db-empty-folder", gates=AUDIT, files=PINS, setup=folder("osv/sub"),
              expect="holds no usable OSV records (0 files"),
    FaultCase(id="pip-audit-db-is-a-url", gates=AUDIT.replace(
        '"osv"', '"https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"'),
        files=PINS, expect="no such file or directory"),
    FaultCase(id="pip-audit-osv-url-refused", gates=AUDIT.replace(
        'advisory_db = "osv"', 'osv_url = "http://127.0.0.1:9/v1/query"'), files=PINS,
        expect="pip-audit exited 1 without writing its JSON report"),
    FaultCase(id="pip-audit-service-skips-every-package",
              gates='[security.pip-audit]\nrequirements = ["requirements.txt"]\n'
                    'service = "pypi"\nexecutable = "./fakeaudit"\n',
              files={**PINS, "fakeaudit": FAKE_SKIPPING_AUDIT}, setup=executable("fakeaudit"),
              expect="FAIL  unaudited == 0  (measured 1)"),
    # bandit: configs that run nothing, files it cannot read
    FaultCase(id="bandit-config-skips-every-test", gates=BANDIT,
              files={**SRC, ".bandit": f"[bandit]\nskips = {ALL_BANDIT_TESTS}\n"},
              expect="bandit exited with code 2"),
    FaultCase(id="bandit-config-selects-unknown-test", gates=BANDIT,
              files={**SRC, ".bandit": "[bandit]\ntests = B999\n"},
              expect="No tests would be run"),
    FaultCase(id="bandit-pyproject-skips-every-test",
              gates=BANDIT + 'config = "pyproject.toml"\n',
              files={**SRC, "pyproject.toml": "[tool.bandit]\nskips = "
                     + json.dumps(ALL_BANDIT_TESTS.split(",")) + "\n"},
              expect="bandit exited with code 2"),
    FaultCase(id="bandit-syntax-error", gates=BANDIT, files={"src/app.py": "def f(:\n"},
              expect="bandit could not scan this file"),
    FaultCase(id="bandit-skips-and-a-floor-on-tests-run",
              gates=BANDIT + 'conditions = ["high == 0", "tests_run >= 75"]\n',
              files={**SRC, ".bandit": "[bandit]\nskips = B101\n"},
              expect="FAIL  tests_run >= 75  (measured 74)"),
    # files: placeholders for required files
    FaultCase(id="files-license-is-an-empty-folder", gates=FILES, files=README,
              setup=folder("LICENSE"), expect="LICENSE missing is a directory, not a file"),
    FaultCase(id="files-license-is-empty", gates=FILES, files={**README, "LICENSE": ""},
              expect="LICENSE missing is empty"),
    FaultCase(id="files-license-is-blank", gates=FILES, files={**README, "LICENSE": "\n  \n"},
              expect="LICENSE missing holds only whitespace"),
    FaultCase(id="files-license-dangling-symlink", gates=FILES, files=README,
              setup=symlink("LICENSE", "gone/LICENSE"),
              expect="LICENSE missing is a dangling symlink"),
    FaultCase(id="files-glob-matches-only-placeholders",
              gates='[compliance.files]\nrequired = ["LICENSE*"]\n',
              files={"LICENSE.md": ""}, setup=folder("LICENSES"),
              expect="LICENSE* missing no usable match: LICENSE.md is empty; LICENSES is a "
                     "directory"),
    # licenses: nothing to judge, or nothing to judge by
    FaultCase(id="licenses-environment-lists-nothing",
              gates='[compliance.licenses]\nallow = ["MIT"]\npython = "./fakepy"\n',
              files={"fakepy": listing([])}, setup=executable("fakepy"),
              expect="FAIL  packages >= 1  (measured 0)"),
    FaultCase(id="licenses-metadata-without-licence",
              gates='[compliance.licenses]\nallow = ["MIT"]\npython = "./fakepy"\n',
              files={"fakepy": listing([{"name": "mystery", "version": "1.0"}])},
              setup=executable("fakepy"), expect="mystery 1.0 unknown no licence metadata"),
    FaultCase(id="licenses-python-is-a-folder",
              gates='[compliance.licenses]\nallow = ["MIT"]\npython = "venv"\n',
              setup=folder("venv/bin"), expect="python = 'venv' is a folder, not an interpreter"),
    # sbom: nothing listed, nowhere to write
    FaultCase(id="sbom-zero-components",
              gates='[supply.sbom]\nexecutable = "./fakecdx"\npython = "./fakepy"\n',
              files={"fakecdx": FAKE_CYCLONEDX, "fakepy": listing([])},
              setup=executable("fakecdx", "fakepy"),
              expect="lists no installed distribution"),
    FaultCase(id="sbom-lists-nothing-installed",
              gates='[supply.sbom]\nexecutable = "./fakecdx"\npython = "./fakepy"\n',
              files={"fakecdx": FAKE_CYCLONEDX,
                     "fakepy": listing([{"name": "requests", "version": "2.19.0"}])},
              setup=executable("fakecdx", "fakepy"),
              expect="FAIL  components >= 1  (measured 0)"),
    FaultCase(id="sbom-output-is-a-folder", gates='[supply.sbom]\noutput = "out"\n',
              setup=folder("out"), expect="output 'out' is a folder"),
    FaultCase(id="sbom-output-parent-is-a-file", gates='[supply.sbom]\noutput = "out/sbom.json"\n',
              files={"out": "a file, not a folder\n"},
              expect="output 'out/sbom.json': Not a directory"),
    # build: a backend that says it built a wheel
    FaultCase(id="build-backend-writes-nothing", gates="[build.package]\nisolated = false\n",
              files={"pyproject.toml": LAZY_BACKEND, "lazy.py": (
                  "def build_wheel(wheel_directory, config_settings=None, "
                  f"metadata_directory=None):\n    return {WHEEL!r}\n")},
              expect="the build made 0 wheels (none), expected exactly one"),
    FaultCase(id="build-backend-writes-an-empty-zip", gates="[build.package]\nisolated = false\n",
              files={"pyproject.toml": LAZY_BACKEND, "lazy.py": (
                  "import os, zipfile\n\ndef build_wheel(wheel_directory, config_settings=None,"
                  " metadata_directory=None):\n    zipfile.ZipFile(os.path.join(wheel_directory,"
                  f" {WHEEL!r}), 'w').close()\n    return {WHEEL!r}\n")},
              expect=f"the built wheel {WHEEL} is not a wheel"),
    FaultCase(id="build-nothing-to-build", gates='[build.package]\npath = "src"\n',
              files=SRC, expect="nothing to build at"),
    # load: no evidence
    FaultCase(id="load-no-locustfile", gates='[performance.load]\nlocustfile = "nope.py"\n',
              expect="no locustfile at"),
    load_case("load-zero-requests", repr(ZERO), "locust made no requests in 2s"),
    load_case("load-garbled-result", repr({"error": None}),
              "the locust runner wrote a result this gate cannot read"),
]
