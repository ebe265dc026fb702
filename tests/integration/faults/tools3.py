"""Fault cases, round 3 of the tools: what ruff and bandit configs hide beyond the obvious
(a lint-only exclude, `{a,b}` globs, `# ruff: NoQA`, a per-file-ignored keyed rule, a
.bandit `configfile`, B001, plugin settings), a wheel of metadata only, required files
blank in Unicode or past 64 KiB, and check types returning numbers that are not numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

RUFF = '[lint.ruff]\npaths = ["src"]\n'
BAD = {"src/pkg/__init__.py": "import os, sys\nimport json\n\n\ndef f(x):\n    return eval(x)\n"}
BANDIT = '[security.bandit]\npaths = ["src"]\n'
TELNET = {"src/pkg/__init__.py": "import subprocess\nimport telnetlib\n\n\ndef run(cmd):\n"
                                 "    subprocess.call(cmd, shell=True)\n"
                                 '    return telnetlib.Telnet("example.com")\n'}
SHELL = {"src/pkg/__init__.py": "import subprocess\n\n\ndef run(cmd):\n"
                                "    subprocess.call(cmd, shell=True)\n"}
EMPTY_WHEEL = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "emptyapp"
version = "0.1"

[tool.hatch.build.targets.wheel]
only-include = ["nothing_here"]
"""
NUMBER_TYPE = """
from pytest_tower import CheckType, Measurement, MetricSpec, Option

VALUES = {{"huge": 10 ** 400, "bool": True, "text": "3", "none": None}}

def run(ctx):
    return Measurement({{"n": VALUES[ctx.options["kind"]]}}, tool="odd 1")

def pytest_tower_check_types():
    return [CheckType("odd", run, [MetricSpec("n")],
                      options={{"kind": Option("str", required=True)}})]
"""
FILES = '[compliance.files]\nrequired = ["LICENSE"]\n'


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    """Write `name` byte for byte (the battery's `files` are dedented text)."""
    def setup(root: Path) -> None:
        (root / name).write_bytes(data)
    return setup


def odd(kind: str) -> str:
    return f'[b.odd]\nkind = "{kind}"\nconditions = ["n >= 1"]\n'


CASES = [
    # lint gate: [tool.ruff.lint] exclude keeps files from the linter but not from --show-files
    FaultCase(id="tools3-ruff-lint-exclude-every-file", gates=RUFF, files={
        **BAD, "pyproject.toml": '[tool.ruff.lint]\nexclude = ["src/pkg/__init__.py"]\n'},
        expect="the project's [tool.ruff.lint] exclude (the lint-only exclude) keeps them all"),
    FaultCase(id="tools3-ruff-lint-exclude-one-file-counts-as-not-linted",
              gates=RUFF + 'conditions = ["violations == 0", "not_linted == 0"]\n', files={
                  **BAD, "src/pkg/ok.py": "X = 1\n",
                  "pyproject.toml": '[tool.ruff.lint]\nexclude = ["src/pkg/__init__.py"]\n'},
              expect="FAIL  not_linted == 0  (measured 1)"),
    # lint gate: per-file-ignores globs as ruff (globset) reads them
    FaultCase(id="tools3-ruff-per-file-ignores-brace-glob", gates=RUFF, files={
        **BAD, "pyproject.toml": '[tool.ruff.lint.per-file-ignores]\n'
                                 '"src/{pkg,zzz}/*.py" = ["ALL"]\n'},
        expect="ruff has no rule enabled for any of the 1 linted file(s)"),
    FaultCase(id="tools3-ruff-per-file-ignores-nested-braces", gates=RUFF, files={
        **BAD, "pyproject.toml": '[tool.ruff.lint.per-file-ignores]\n'
                                 '"src/{zzz,p{a,k}g}/*.py" = ["ALL"]\n'},
        expect="ruff has no rule enabled for any of the 1 linted file(s)"),
    FaultCase(id="tools3-ruff-blanket-noqa-mixed-case", gates=RUFF, files={
        "src/pkg/__init__.py": "# ruff: NoQA\nimport os\n"},
        expect="ruff has no rule enabled for any of the 1 linted file(s)"),
    # lint gate: a keyed condition on a rule per-file-ignores drop everywhere reads 0 forever
    FaultCase(id="tools3-ruff-keyed-rule-per-file-ignored-everywhere",
              gates=RUFF + 'conditions = ["violations[F401] == 0"]\n', files={
                  "src/pkg/__init__.py": "import os\n",
                  "pyproject.toml": '[tool.ruff.lint.per-file-ignores]\n"src/**" = ["F401"]\n'},
              rc=4, expect="drop it for every one of the 1 file(s) ruff lints under src"),
    # bandit: a .bandit `configfile` is the -c config: its skips count
    FaultCase(id="tools3-bandit-ini-configfile-skips",
              gates=BANDIT + 'conditions = ["high == 0", "tests_run >= 75"]\n',
              files={**TELNET, ".bandit": "[bandit]\nconfigfile = b.yaml\n",
                     "b.yaml": 'skips: ["B602", "B401", "B312"]\n'},
              expect="FAIL  tests_run >= 75  (measured 72)"),
    # bandit: B001 is the whole blacklist family (B3xx/B4xx), not an unknown id
    FaultCase(id="tools3-bandit-skips-b001-is-every-blacklist-test",
              gates=BANDIT + 'conditions = ["high == 0", "tests_run >= 75"]\n',
              files={**TELNET, ".bandit": "[bandit]\nskips = B001\n"},
              expect="FAIL  tests_run >= 75  (measured 41)"),
    # bandit: plugin settings that empty a test's targets are counted and named
    FaultCase(id="tools3-bandit-plugin-settings-weaken-shell-injection",
              gates=BANDIT + 'config = "bandit.yaml"\nconditions = ["high == 0", '
              '"weakened == 0"]\n',
              files={**SHELL, "bandit.yaml": "shell_injection:\n  subprocess: []\n  shell: []\n"
                                             "  no_shell: []\n"},
              expect="shell_injection: B602, B603, B604, B605, B606, B607, B609"),
    # package: a wheel of metadata only is never a build
    FaultCase(id="tools3-package-metadata-only-wheel",
              gates="[build.package]\nisolated = false\n",
              files={"pyproject.toml": EMPTY_WHEEL}, timeout=240.0,
              expect="holds no importable module"),
    # files: blank in Unicode, NUL bytes, or blank past the first 64 KiB
    FaultCase(id="tools3-files-license-of-no-break-spaces", gates=FILES,
              setup=write_bytes("LICENSE", ("\u00a0" * 20 + "\u3000\u200b\n").encode()),
              expect="LICENSE missing holds only whitespace"),
    FaultCase(id="tools3-files-license-of-nul-bytes", gates=FILES,
              setup=write_bytes("LICENSE", b"\x00" * 40), expect="LICENSE missing holds only"),
    FaultCase(id="tools3-files-license-blank-beyond-64k", gates=FILES,
              setup=write_bytes("LICENSE", b" " * 70000 + b"\n" * 70000),
              expect="LICENSE missing holds only whitespace"),
    # check types: numbers that are not numbers
    FaultCase(id="tools3-check-type-int-beyond-float-range", gates=odd("huge"),
              files={"conftest.py": NUMBER_TYPE.format()},
              expect="reported a non-finite value for n ("),
    FaultCase(id="tools3-check-type-bool-metric", gates=odd("bool"),
              files={"conftest.py": NUMBER_TYPE.format()},
              expect="reported a non-finite value for n (True)"),
    FaultCase(id="tools3-check-type-string-metric", gates=odd("text"),
              files={"conftest.py": NUMBER_TYPE.format()},
              expect="reported a non-finite value for n ('3')"),
]
