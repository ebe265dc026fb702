"""A broken gates.toml stops the run before anything executes: exit 4, one clear message."""

from __future__ import annotations

import pytest

CASES = {
    "toml-syntax": ("[lint.ruff\npaths = [\n", ["gates.toml:1:", "TOML syntax error"]),
    "unknown-stage-option": (
        "[lint]\nfoo = 1\n[lint.ruff]\n",
        ["gates.toml:2:", "[lint] foo: unknown stage option", "a check table"],
    ),
    "option-typo": (
        '[lint.ruff]\npaths = ["."]\nselct = ["F"]\n',
        ["gates.toml:3:", "[lint.ruff] selct: unknown option", "Did you mean 'select'?"],
    ),
    "wrong-type": (
        '[lint.ruff]\npaths = "src"\n',
        ["gates.toml:2:", "[lint.ruff] paths: wrong type", "a list of strings", "'src'"],
    ),
    "unknown-tool": (
        "[lint.ruf]\n",
        ["gates.toml:1:", "unknown tool 'ruf'", "Did you mean 'ruff'?", "installed check types"],
    ),
    "unknown-tool-key": (
        '[lint.strict]\ntool = "rufff"\n',
        ["gates.toml:2:", "[lint.strict] tool: unknown tool 'rufff'", "Did you mean 'ruff'?"],
    ),
    "condition-syntax": (
        '[lint.ruff]\nconditions = ["violations = 0"]\n',
        ["[lint.ruff] conditions:", "cannot read condition 'violations = 0'", "<metric> <op>"],
    ),
    "unknown-metric": (
        '[lint.ruff]\nconditions = ["violatons == 0"]\n',
        ["unknown metric 'violatons'", "this check produces: violations[<key>], fixable, files",
         "Did you mean 'violations'?"],
    ),
    "metric-unit": (
        '[lint.ruff]\nconditions = ["violations <= 3%"]\n',
        ["this metric is a count"],
    ),
    "warn-unknown-metric": (
        '[lint.ruff]\nwarn = ["fixble == 0"]\n',
        ["[lint.ruff] warn:", "unknown metric 'fixble'", "Did you mean 'fixable'?"],
    ),
    "conditions-not-list": (
        '[lint.ruff]\nconditions = "violations == 0"\n',
        ["[lint.ruff] conditions: wrong type", "a list of strings"],
    ),
    "empty-conditions": (
        "[lint.ruff]\nconditions = []\n",
        ["[lint.ruff] conditions: no conditions", "violations == 0"],
    ),
    "timeout-words": ('[lint.ruff]\ntimeout = "fast"\n', ["[lint.ruff] timeout:", "60s"]),
    "timeout-negative": ("[lint.ruff]\ntimeout = -1\n", ["greater than zero"]),
    "needs-later-stage": (
        '[a.ruff]\nneeds = ["b"]\n[b.ruff]\n',
        ["[a.ruff] needs:", "needs 'b', which is not an earlier stage", "file order"],
    ),
    "needs-typo": (
        '[lint.ruff]\n[unit.ruff]\nneeds = ["lnt"]\n',
        ["needs 'lnt'", "Did you mean 'lint'?"],
    ),
    "needs-itself": ('[lint.ruff]\nneeds = ["lint"]\n', ["cannot need its own stage"]),
    "stage-not-table": ("lint = 3\n", ["lint: 'lint' is a top-level key, not a stage table"]),
    "no-stages": ("# nothing here\n", ["no stages", "[lint.ruff]"]),
    "stage-without-checks": ("[lint]\nneeds = []\n", ["[lint] stage has no checks"]),
    "settings-typo": (
        '[tower]\nreprot = "r.json"\n[lint.ruff]\n',
        ["[tower] reprot: unknown option", "Did you mean 'report'?"],
    ),
    "bad-name": ('[lint."a::b"]\ntool = "ruff"\n', ["'a::b' is not a usable name"]),
    "env-strategy": (
        '[environments.staging]\nstrategy = "dockr"\n[lint.ruff]\n',
        ["gates.toml:2:", "[environments.staging] strategy: unknown strategy 'dockr'",
         "one of: local, command"],
    ),
    "env-typo": (
        '[environments.staging]\ncommand = "srv {port}"\n[lint.ruff]\n'
        '[it.ruff]\nenvironment = "stagin"\n',
        ["[it.ruff] environment: no environment 'stagin'", "Did you mean 'staging'?"],
    ),
    "env-without-build": (
        '[environments.staging]\ncommand = "srv {port}"\n[it.ruff]\nenvironment = "staging"\n',
        ["deploys the wheel that a [<stage>.package] check builds", "[build.package]"],
    ),
    "load-cpu-on-a-remote-environment": (
        '[build.package]\n[environments.production]\nstrategy = "command"\n'
        'deploy = ["./deploy.sh", "{artifact}"]\nurl = "https://tasks.example.com"\n'
        '[perf.load]\nenvironment = "production"\nlocustfile = "l.py"\n'
        'conditions = ["p95 < 200ms", "cpu < 150%"]\n',
        ["[perf.load]", "'cpu < 150%'", "environment 'production' is deployed by commands"],
    ),
    "timeout-nan": ("[lint.ruff]\ntimeout = nan\n",
                    ["gates.toml:2:", "[lint.ruff] timeout: wrong type or value",
                     "nan is not a finite number"]),
    "condition-inf": ('[lint.ruff]\nconditions = ["violations <= 1e999"]\n',
                      ["'1e999' is not a finite number"]),
    "baseline-factor-inf": ('[lint.ruff]\nconditions = ["violations <= baseline * 1e999"]\n',
                            ["[lint.ruff] conditions:", "'1e999' is not a finite number"]),
    "warn-only": ('[lint.ruff]\nconditions = []\nwarn = ["violations == 0"]\n',
                  ["no conditions (an empty list)", "leave the key out for the defaults"]),
    "name-too-long": (f'[lint.{"x" * 300}]\ntool = "ruff"\n',
                      ["too long a name", "at most 100 characters", "(300 characters)"]),
    "names-collide": ('[a."b.c"]\ntool = "ruff"\n["a.b".c]\ntool = "ruff"\n',
                      ["[a.b.c] (stage 'a', check 'b.c') and stage 'a.b', check 'c'",
                       "the same name on disk, 'a.b.c'"]),
    "history-folder": ('[tower]\nhistory = "h/"\n[lint.ruff]\n',
                       ["[tower] history: 'h/' is a folder", "h/history.jsonl"]),
    "baseline-nul": ('[tower]\nbaseline = "a\\u0000b"\n[lint.ruff]\n',
                     ["[tower] baseline:", "a string without NUL characters"]),
    "env-health-timeout-inf": (
        '[environments.staging]\ncommand = "srv {port}"\nhealth_timeout = inf\n[lint.ruff]\n',
        ["[environments.staging] health_timeout: wrong type or value", "not a finite number"],
    ),
    "env-conditions-unused": (
        '[environments.staging]\ncommand = "srv {port}"\nconditions = ["app_errors == 0"]\n'
        "[lint.ruff]\n",
        ["[environments.staging] conditions: has conditions, but no check uses this environment"],
    ),
}


@pytest.mark.parametrize(("text", "words"),
                         [pytest.param(*CASES[name], id=name) for name in sorted(CASES)])
def test_broken_gates_toml_is_a_usage_error(pytester: pytest.Pytester, gates, text: str,
                                            words: list[str], no_traceback) -> None:
    gates(text)
    result = pytester.runpytest("--tower")
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert err.startswith("ERROR: pytest-tower: ")
    assert "gates.toml" in err
    for word in words:
        assert word in err
    assert no_traceback(result.stdout.str() + err)


def test_nothing_runs_when_a_later_table_is_broken(pytester, gates, fake_tool) -> None:
    marker = pytester.path / "ran"
    tool = fake_tool("ruff", f"touch {marker}\necho '[]'\n")
    gates(f'[lint.ruff]\nexecutable = "{tool}"\n[unit.ruff]\npths = []\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not marker.exists()


def test_missing_gates_file(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--tower", "--tower-config", "nope.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "nope.toml: no such file" in result.stderr.str()
    assert "--tower-config PATH" in result.stderr.str()


def test_a_config_error_replaces_a_stale_report(run_tower) -> None:
    run = run_tower("[lint.ruf]\n", plant_report='{"verdict": "passed"}')
    assert run.rc == pytest.ExitCode.USAGE_ERROR
    assert run.report is not None
    assert run.report["verdict"] == "failed"
    assert "unknown tool 'ruf'" in run.report["error"]


def test_paths_outside_the_gates_are_refused(pytester, gates) -> None:
    gates("[lint.ruff]\n")
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--tower", "test_x.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "collects the gates in" in result.stderr.str()


def test_a_baseline_path_that_is_a_folder(pytester, gates, no_traceback) -> None:
    (pytester.path / "accepted").mkdir()
    gates('[tower]\nbaseline = "accepted"\n[lint.ruff]\nconditions = ["violations <= baseline"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[tower] baseline: 'accepted' is a folder" in result.stderr.str()
    assert no_traceback(result.stdout.str() + result.stderr.str())


def test_a_check_on_an_environment_in_a_stage_that_starts_before_the_build(run_tower) -> None:
    """TOML groups [security.*] where its first table stands: a deploy check added after
    the build still runs before it. The error says why and how to place it."""
    run = run_tower("""
        [security.files]
        tool = "files"
        required = ["gates.toml"]

        [build.package]

        [environments.staging]
        command = "python -m http.server {port} --bind 127.0.0.1"

        [security.smoke]
        tool = "tests"
        environment = "staging"
        paths = ["tests"]
    """)
    assert run.rc == 4, run.output
    assert "stages run in the order their FIRST table appears in gates.toml" in run.output
    assert "[security-testing.smoke]" in run.output
    assert "Traceback" not in run.output
