"""The bandit gate driving the real bandit on tmp projects; fake bandits only for faults."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BAD = """\
import subprocess
import yaml

password = "hunter2secret"

def run(cmd):
    subprocess.call(cmd, shell=True)
    return yaml.load(open("x"))
"""
CLEAN = "def add(a, b):\n    return a + b\n"
GATE = """\
[security.bandit]
paths = ["src"]
"""


def bandit_exe() -> str:
    return str(Path(sys.executable).with_name("bandit"))


def project(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_counts_each_severity_from_results(run_tower, no_traceback):
    run = run_tower(GATE, "-p", "no:cacheprovider", files={"src/app.py": BAD})
    c = run.check
    assert c["verdict"] == "failed"
    m = c["metrics"]
    assert (m["high"], m["medium"], m["low"], m["findings"], m["errors"]) == (1, 1, 2, 4, 0)
    assert (m["findings[B602]"], m["findings[B506]"], m["findings[B105]"], m["files"]) == (
        1, 1, 1, 1)
    assert run.rc == 1
    run.stdout.fnmatch_lines([
        "*src/app.py:7 B602 HIGH/HIGH subprocess call with shell=True identified*",
        "*src/app.py:8 B506 MEDIUM/HIGH Use of unsafe yaml load*",
        "*src/app.py:4 B105 LOW/MEDIUM Possible hardcoded password: 'hunter2secret'*",
    ])
    run.stdout.fnmatch_lines(["*TOWER GATE FAILED: 1 of 1 checks failed (1 failed)*"])
    assert no_traceback(run.stdout.str())


def test_syntax_error_file_fails_the_gate_and_is_named(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider",
                    files={"src/ok.py": CLEAN, "src/broken.py": "def broken(:\n    pass\n"})
    c = run.check
    assert (c["verdict"], c["metrics"]["errors"], c["metrics"]["findings"]) == ("failed", 1, 0)
    assert [r["expr"] for r in c["conditions"] if r["passed"] is False] == ["errors == 0"]
    run.stdout.fnmatch_lines(["*src/broken.py ERROR bandit could not scan this file*"])
    assert run.rc == 1


def test_clean_module_passes(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider", files={"src/ok.py": CLEAN})
    c = run.check
    assert (c["verdict"], c["metrics"]["findings"], c["metrics"]["files"]) == ("passed", 0, 1)
    assert c["tool"].startswith("bandit 1.")
    assert run.rc == 0
    run.stdout.fnmatch_lines(["*TOWER GATE PASSED*"])


def test_nosec_comments_are_counted(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider", files={"src/app.py": """\
        import subprocess  # nosec B404

        def run(cmd):
            subprocess.call(cmd, shell=True)  # nosec
            subprocess.call(cmd + "x", shell=True)  # nosec B602
        """})
    m = run.check["metrics"]
    assert (m["nosec"], m["suppressed"], m["high"], m["findings"]) == (3, 3, 0, 0)
    assert "3 finding(s) suppressed by `# nosec` comments and not counted" in \
        run.stdout.str()
    assert run.rc == 0


def test_baseline_hides_only_known_findings(pytester, run_tower):
    project(pytester, {"src/app.py": BAD})
    subprocess.run([bandit_exe(), "-r", "src", "-f", "json", "-q", "-o", "base.json"],
                   cwd=pytester.path, check=False)
    # Lines move, and a repeat of a known issue type appears (bandit -b would hide it).
    project(pytester, {"src/app.py": "# moved\n\n" + BAD
                       + "\ndef again(cmd):\n    subprocess.call(cmd, shell=True)\n"})
    run = run_tower(GATE + 'baseline = "base.json"\n', "-p", "no:cacheprovider")
    c = run.check
    m = c["metrics"]
    assert (m["high"], m["medium"], m["low"], m["baselined"]) == (1, 0, 0, 4)
    assert [(f["path"], f["line"], f["code"]) for f in c["findings"]] == [
        ("src/app.py", 13, "B602")]
    assert run.rc == 1


def test_missing_baseline_is_an_error(run_tower):
    run = run_tower(GATE + 'baseline = "nope.json"\n', "-p", "no:cacheprovider",
                    files={"src/ok.py": CLEAN})
    c = run.check
    assert c["verdict"] == "error"
    assert "baseline 'nope.json' does not exist" in c["message"]
    assert run.rc == 1


def test_missing_path_is_an_error(run_tower):
    run = run_tower('[security.bandit]\npaths = ["src", "lib"]\n', "-p", "no:cacheprovider",
                    files={"src/ok.py": CLEAN})
    c = run.check
    assert c["verdict"] == "error"
    assert "'lib': no such path" in c["message"]
    assert "TOWER GATE FAILED" in run.stdout.str()
    assert run.rc == 1


def test_tree_without_python_files_is_an_error(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider",
                    files={"src/README.txt": "hi", "src/.venv/lib.py": BAD, "src/build/x.py": BAD})
    c = run.check
    assert c["verdict"] == "error"
    assert "no Python files to scan" in c["message"]
    assert run.rc == 1


def test_default_and_own_excludes(run_tower):
    run = run_tower(GATE + 'exclude = ["src/gen"]\n', "-p", "no:cacheprovider",
                    files={"src/ok.py": CLEAN, "src/venv/x.py": BAD, "src/gen/y.py": BAD,
                           "src/rebuild.py": CLEAN, "src/.git/z.py": BAD})
    c = run.check
    assert (c["verdict"], c["metrics"]["files"]) == ("passed", 2)
    assert run.rc == 0


@pytest.mark.parametrize(("level", "low", "findings"),
                         [("low", 2, 4), ("medium", 2, 4), ("high", 1, 3)])
def test_min_confidence_filters_counted_findings(level, low, findings, run_tower):
    run = run_tower(GATE + f'min_confidence = "{level}"\n', "-p", "no:cacheprovider",
                    files={"src/app.py": BAD})
    m = run.check["metrics"]
    assert (m["low"], m["findings"], m["high"]) == (low, findings, 1)
    assert run.rc == 1


def test_unknown_min_confidence_is_a_config_error(pytester, gates):
    gates(GATE + 'min_confidence = "extreme"\n')
    result = pytester.runpytest("--tower", "-p", "no:cacheprovider")
    assert result.ret == 4
    assert "one of 'low', 'medium', 'high'" in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(("body", "expected"), [
    ('echo "this is not JSON"\n', "bandit wrote no report"),
    ('while [ "$1" != "-o" ] && [ $# -gt 0 ]; do shift; done\n'
     'echo "{garbage" > "$2"\necho garbage\n', "bandit's report is not JSON"),
    ('echo "usage: bandit [-h]" >&2\nexit 2\n', "exited with code 2"),
])
def test_broken_bandit_is_an_error(fake_tool, body, expected, run_tower, no_traceback):
    fake = fake_tool("bandit", body)
    run = run_tower(GATE + f'executable = "{fake}"\n', "-p", "no:cacheprovider",
                    files={"src/ok.py": CLEAN})
    c = run.check
    assert c["verdict"] == "error"
    assert expected in c["message"]
    run.stdout.fnmatch_lines(["*TOWER GATE FAILED: 1 of 1 checks failed (1 error)*"])
    assert no_traceback(run.stdout.str())
    assert run.rc == 1


def _generated_tree(root: Path, count: int) -> None:
    snippets = [
        "import subprocess\n\ndef f{i}(c):\n    subprocess.call(c, shell=True)\n",
        "import yaml\n\ndef f{i}(p):\n    return yaml.load(open(p))\n",
        'token = "s3cr3t-{i}"\n\ndef f{i}():\n    assert token  # nosec\n',
        "def f{i}(x):\n    return eval(x)\n",
        "def f{i}(a):\n    return a * {i}\n",
    ]
    for i in range(count):
        sub = root / "src" / f"pkg{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        body = "".join(snippets[(i + k) % len(snippets)].format(i=i * 10 + k) for k in range(3))
        (sub / f"mod{i}.py").write_text(body * (1 + i % 4))
    (root / "src" / "pkg0" / "broken.py").write_text("def broken(:\n")


def test_sharded_run_finds_exactly_what_one_bandit_run_finds(pytester, run_tower):
    _generated_tree(pytester.path, 60)
    subprocess.run([bandit_exe(), "-r", "src", "-f", "json", "-q", "-o", "plain.json"],
                   cwd=pytester.path, check=False)
    plain = json.loads((pytester.path / "plain.json").read_text())
    run = run_tower(GATE + "jobs = 3\n", "-p", "no:cacheprovider")
    c = run.check
    assert any("in 3 processes, 3 at a time" in n for n in c["notes"])
    gate = {(f["path"], f["line"], f["code"], f["severity"]) for f in c["findings"]
            if f["code"] != "ERROR"}
    by_hand = {(r["filename"], r["line_number"], r["test_id"],
                f"{r['issue_severity']}/{r['issue_confidence']}") for r in plain["results"]}
    assert len(gate) == c["metrics"]["findings"] == len(plain["results"]) > 100
    assert gate == by_hand
    assert c["metrics"]["errors"] == len(plain["errors"]) == 1
    assert c["metrics"]["nosec"] == plain["metrics"]["_totals"]["nosec"] > 0
    assert c["metrics"]["files"] == 61
    assert run.rc == 1


def test_project_dot_bandit_file_is_honoured(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider",
                    files={"src/app.py": BAD, "src/gen/y.py": BAD,
                           ".bandit": "[bandit]\nexclude = src/gen\nskips = B404,B105\n"})
    m = run.check["metrics"]
    assert (m["files"], m["low"], m["findings"], m["high"]) == (1, 0, 2, 1)
    assert "findings[B404]" not in m
    assert run.rc == 1
    assert m["tests_run"] == 73
    assert "bandit ran 73 of its 75 tests" in run.stdout.str()
    assert "2 not run: B105, B404" in run.stdout.str()


def test_all_tests_run_without_a_config(run_tower):
    run = run_tower(GATE, "-p", "no:cacheprovider", files={"src/app.py": CLEAN})
    assert run.check["metrics"]["tests_run"] == 75
    assert "bandit ran" not in run.stdout.str()


def test_config_tests_and_skips_are_reported(run_tower):
    run = run_tower(GATE + 'config = "pyproject.toml"\nconditions = ["tests_run >= 3"]\n',
                    "-p", "no:cacheprovider",
                    files={"src/app.py": BAD, "pyproject.toml": '[tool.bandit]\n'
                           'tests = ["B602", "B506", "B105"]\n'
                           'skips = ["hardcoded_password_string"]\n'})
    c = run.check
    assert c["metrics"]["tests_run"] == 3 and c["metrics"]["findings"] == 3
    out = run.stdout.str()
    assert "bandit ran 3 of its 75 tests: the project's bandit config selects only B105, B506, "\
        "B602; 72 not run" in out
    assert "not a bandit test id, which bandit ignores: hardcoded_password_string" in out
    assert "ok  tests_run >= 3  (measured 3)" in out


@pytest.mark.parametrize("ini", ["tests = B999\n", "skips = " + ",".join(
    ["B101", "B102"]) + "\ntests = B101,B102\n"])
def test_config_that_runs_no_test_is_an_error(ini, run_tower, no_traceback):
    run = run_tower(GATE, "-p", "no:cacheprovider",
                    files={"src/app.py": BAD, ".bandit": "[bandit]\n" + ini})
    assert run.check["verdict"] == "error"
    assert "bandit exited with code 2" in run.stdout.str()
    assert no_traceback(run.stdout.str())


@pytest.mark.parametrize(("key", "hint"), [("B6O2", "B602"), ("b602", "B602"),
                                           ("BlO1", "B101")])
def test_a_key_that_only_looks_like_a_test_id_is_a_config_error(key, hint, run_tower):
    run = run_tower(GATE + f'conditions = ["findings[{key}] == 0"]\n', "-p", "no:cacheprovider",
                    files={"src/app.py": BAD})
    assert run.rc == pytest.ExitCode.USAGE_ERROR
    assert f"bandit has no test {key!r}" in run.stderr.str()
    assert f"did you mean {hint!r}?" in run.stderr.str()


def test_a_key_bandit_does_not_list_errors_at_run_time(run_tower, no_traceback):
    run = run_tower(GATE + 'conditions = ["findings[B999] == 0", "findings[B101] == 0"]\n',
                    "-p", "no:cacheprovider",
                    files={"src/app.py": BAD})
    assert run.check["verdict"] == "error"
    assert "'B999' is not a key the tool knows for findings" in run.stdout.str()
    assert no_traceback(run.stdout.str())
