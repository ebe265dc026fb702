"""The `command` check type with real tools: esbuild from npm bundling and minifying
(size budgets on what it wrote), a metrics file, secrets masked, cwd and ok_codes.

The faults (tool missing, codes outside ok_codes, globs matching nothing, stale
outputs, metrics files that are not numbers) are in faults/generic_tools.py.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "examples" / "tasktower" / "frontend"


@pytest.fixture(scope="module")
def esbuild(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """esbuild installed by `npm ci` from the demo's package-lock.json, once per module."""
    folder = tmp_path_factory.mktemp("npm")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(FRONTEND / name, folder / name)
    subprocess.run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=folder,
                   check=True, capture_output=True, timeout=300)
    binary = folder / "node_modules" / ".bin" / "esbuild"
    assert binary.exists()
    return binary


SOURCES = {
    "src/app.js": """\
        import { greet } from "./greet.js";
        // a comment the minifier drops, and long names it shortens
        export function renderEverything(listOfPeople) {
          return listOfPeople.map((personName) => greet(personName)).join("\\n");
        }
        console.log(renderEverything(["Ada", "Grace"]));
        """,
    "src/greet.js": 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n',
    "src/style.css": "body {\n  margin: 0;\n  color: #333333;\n}\n",
}


def esbuild_gates(binary: Path, conditions: str) -> str:
    run = json.dumps([str(binary), "src/app.js", "src/style.css", "--bundle", "--minify",
                      "--outdir=dist", "--log-level=warning"])
    return f"""
        [build.assets]
        tool = "command"
        run = {run}
        outputs = ["dist/*.js", "dist/*.css"]
        conditions = {conditions}
    """


def test_esbuild_bundle_measured_and_budgeted(run_tower, esbuild, pytester) -> None:
    run = run_tower(esbuild_gates(esbuild, '["files == 2", "gzip_size[dist/app.js] < 20kB", '
                                           '"size < 2kB"]'), files=SOURCES)
    assert run.rc == 0 and run.clean, run.output
    metrics = run.check["metrics"]
    bundle = (pytester.path / "dist" / "app.js").read_bytes()
    assert b"Hello" in bundle and b"renderEverything" not in bundle  # bundled, minified
    assert metrics["size[dist/app.js]"] == len(bundle)
    assert metrics["gzip_size[dist/app.js]"] == len(gzip.compress(bundle, 9, mtime=0))
    css = (pytester.path / "dist" / "style.css").read_bytes()
    assert metrics["size"] == len(bundle) + len(css) and metrics["files"] == 2
    assert metrics["exit_code"] == 0 and metrics["duration"] > 0
    assert "log" in run.check["artifacts"]

    over = run_tower(esbuild_gates(esbuild, '["size[dist/app.js] < 10B"]'))
    assert over.rc == 1 and over.check["verdict"] == "failed", over.output
    assert "FAIL  size[dist/app.js] < 10B" in over.output


def test_a_build_that_writes_nothing_new_errors(run_tower, esbuild) -> None:
    """The second run's command does nothing: the bundle from the first run is stale."""
    first = run_tower(esbuild_gates(esbuild, '["files == 2"]'), files=SOURCES)
    assert first.rc == 0, first.output
    lazy = run_tower("""
        [build.assets]
        tool = "command"
        run = ["true"]
        outputs = ["dist/*.js", "dist/*.css"]
        conditions = ["files == 2"]
    """)
    assert lazy.check["verdict"] == "error", lazy.output
    assert "older than this run (the command did not write them)" in lazy.output


def test_metrics_file_nested_keys_and_a_typo(run_tower) -> None:
    script = ("import json; json.dump({'bench': {'p95': 120, 'rps': 40.5}, 'n': 3}, "
              "open('bench.json', 'w'))")
    gates = f"""
        [perf.bench]
        tool = "command"
        run = {json.dumps([sys.executable, "-c", script])}
        metrics_file = "bench.json"
        conditions = ["value[bench.p95] < 200", "value[bench.rps] >= 40", "value[n] == 3"]
    """
    run = run_tower(gates)
    assert run.rc == 0, run.output
    assert run.check["metrics"]["value[bench.rps]"] == 40.5
    typo = run_tower(gates.replace("value[n] == 3", "value[bench.p59] < 200"))
    assert typo.check["verdict"] == "error", typo.output
    assert "Did you mean value[bench.p95]?" in typo.output


def test_secrets_are_masked_in_every_output(run_tower, pytester) -> None:
    secret = "hunter2-very-secret"
    run = run_tower(r"""
        [deploy.notify]
        tool = "command"
        run = "echo token=$TOKEN; echo arg={env:TOWER_T_SECRET} >&2; printf '{\"n\": 1}' > m.json"
        shell = true
        env = { TOKEN = "{env:TOWER_T_SECRET}" }
        metrics_file = "m.json"
        conditions = ["value[n] == 1"]
    """, env={"TOWER_T_SECRET": secret})
    assert run.rc == 0, run.output
    log = Path(run.check["artifacts"]["log"]).read_text()
    assert "token=***" in log and "arg=***" in log
    assert secret not in log
    assert secret not in (pytester.path / "report.json").read_text()
    assert secret not in run.output
    failing = run_tower(None, env={"TOWER_T_SECRET": secret},
                        setup=lambda p: (p / "gates.toml").write_text(
                            (p / "gates.toml").read_text().replace("> m.json", "> m.json; "
                                                                   "exit 5")))
    assert failing.check["verdict"] == "error", failing.output
    assert "exited with code 5" in failing.output and secret not in failing.output
    assert "***" in failing.output


def test_cwd_and_ok_codes(run_tower, pytester) -> None:
    (pytester.path / "web").mkdir()
    script = "import pathlib, os; pathlib.Path('where.txt').write_text(os.getcwd()); exit(3)"
    run = run_tower(f"""
        [b.odd]
        tool = "command"
        run = {json.dumps([sys.executable, "-c", script])}
        cwd = "web"
        ok_codes = [0, 3]
        outputs = ["web/where.txt"]
        conditions = ["exit_code == 3", "files == 1"]
    """)
    assert run.rc == 0, run.output
    assert (pytester.path / "web" / "where.txt").read_text() == str(pytester.path / "web")
    nowhere = run_tower('[b.odd]\ntool = "command"\nrun = ["true"]\ncwd = "nope"\n')
    assert nowhere.check["verdict"] == "error"
    assert "cwd = 'nope': no such folder" in nowhere.output


@pytest.mark.parametrize(("table", "expect"), [
    ('run = ["echo", "hi"]\nshell = true\n', "shell = true runs one command line"),
    ('run = []\n', "run is empty"),
    ('run = ["true"]\nok_codes = [0, 300]\n', "ok_codes: [300] cannot be exit codes"),
    ('run = ["true"]\nok_codes = []\n', "a non-empty list of whole numbers"),
    ('run = ["true"]\nenv = { "A-B" = "x" }\n', "'A-B' is not a variable name"),
    ('run = ["true"]\nenv = { A = 1 }\n', "a table of strings"),
    ('run = ["true"]\nconditions = ["size < 1kB"]\n', "list them in outputs"),
    ('run = ["true"]\nconditions = ["value[x] < 1"]\n', "set metrics_file"),
    ('run = ["true"]\ncwd = "/tmp"\n', "cwd: '/tmp' must be a path or glob relative"),
    ('run = 3\n', "one string or a list"),
])
def test_config_errors(run_tower, table: str, expect: str) -> None:
    run = run_tower(f'[b.c]\ntool = "command"\n{table}')
    assert run.rc == 4 and run.clean, run.output
    assert expect in run.output


def test_a_command_gate_loads_no_report_parser(pytester) -> None:
    """The generic types import their parsers (defusedxml, jsonschema) only when used."""
    pytester.makeconftest("import sys\n\ndef pytest_unconfigure(config):\n"
                          "    open('modules.txt', 'w').write('\\n'.join(sorted(sys.modules)))\n")
    pytester.makefile(".toml", gates='[b.c]\ntool = "command"\nrun = ["true"]\n')
    result = pytester.runpytest_subprocess("--tower", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    loaded = set((pytester.path / "modules.txt").read_text().split())
    assert "pytest_tower.checks.command.check" in loaded
    for other in ("pytest_tower.checks.junit.check", "pytest_tower.checks.sarif.check",
                  "jsonschema", "defusedxml"):
        assert other not in loaded, other
