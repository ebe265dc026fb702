"""The SBOM gate: the real cyclonedx-py on a real venv; fake generators for faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.venvs import make_venv

PACKAGES = {"tower-alpha": 'license = "MIT"', "tower-beta": 'license = "Apache-2.0"'}


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("sbom"), PACKAGES, version="2.3")


def test_sbom_is_written_parsed_and_complete(pytester, venv_python, run_tower) -> None:
    run = run_tower(f"""
        [compliance.sbom]
        output = "dist/sbom.cdx.json"
        python = "{venv_python}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()
    assert check["metrics"] == {"components": 2, "missing": 0}
    assert check["artifacts"] == {"sbom": "dist/sbom.cdx.json"}
    assert check["tool"].startswith("cyclonedx-py 7.")
    bom = json.loads((pytester.path / "dist" / "sbom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == "1.6"
    assert sorted((c["name"], c["version"]) for c in bom["components"]) == [
        ("tower-alpha", "2.3"), ("tower-beta", "2.3")]
    assert [p.name for p in (pytester.path / "dist").iterdir()] == ["sbom.cdx.json"]


def test_default_environment_lists_every_installed_distribution(pytester, run_tower) -> None:
    run = run_tower("[compliance.sbom]\n", "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()
    bom = json.loads((pytester.path / "sbom.cdx.json").read_text())
    names = {c["name"].lower() for c in bom["components"]}
    assert {"pytest", "pluggy", "cyclonedx-bom", "pytest-tower"} <= names
    assert check["metrics"]["components"] == len(bom["components"])


def fake_generator(fake_tool, body: str) -> Path:
    """A cyclonedx-py stand-in that runs `body` with $OUT set to its --output-file."""
    return fake_tool("cyclonedx-py", f"""\
        while [ $# -gt 0 ]; do
          if [ "$1" = "--output-file" ]; then OUT="$2"; fi
          shift
        done
        {body}
    """)


def test_garbage_from_the_generator_is_an_error(pytester, fake_tool,
                                                 venv_python, run_tower, no_traceback) -> None:
    exe = fake_generator(fake_tool, 'echo "not json at all" > "$OUT"')
    older = '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}'
    (pytester.path / "sbom.cdx.json").write_text(older)  # an older SBOM stays as it was
    run = run_tower(f"""
        [compliance.sbom]
        python = "{venv_python}"
        executable = "{exe}"
    """, "-p", "no:cacheprovider")
    check = run.check
    out = run.stdout.str()
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "error"
    assert "the SBOM cyclonedx-py wrote is not JSON" in check["message"]
    assert "the output file was not updated" in check["message"]
    assert "TOWER GATE FAILED" in out
    assert no_traceback(out)
    assert (pytester.path / "sbom.cdx.json").read_text() == older
    assert sorted(p.name for p in pytester.path.iterdir() if p.name.endswith(".tmp")) == []


def test_valid_json_that_is_not_cyclonedx_is_an_error(pytester, fake_tool,
                                                       venv_python, run_tower) -> None:
    exe = fake_generator(fake_tool, """echo '{"spdxVersion": "SPDX-2.3"}' > "$OUT" """)
    run = run_tower(f"""
        [compliance.sbom]
        python = "{venv_python}"
        executable = "{exe}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "error"
    assert "is not a CycloneDX document" in check["message"]
    assert not (pytester.path / "sbom.cdx.json").exists()


def test_a_package_left_out_of_the_sbom_fails(fake_tool,
                                              venv_python, run_tower) -> None:
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "tower_alpha", "version": "2.3"},
        {"type": "library", "name": "left-over", "version": "1"}]}
    exe = fake_generator(fake_tool, f"echo '{json.dumps(bom)}' > \"$OUT\"")
    run = run_tower(f"""
        [compliance.sbom]
        python = "{venv_python}"
        executable = "{exe}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"components": 2, "missing": 1}
    run.stdout.fnmatch_lines([
        "findings (1):",
        f"  tower-beta 2.3 missing installed in {venv_python} but not in the SBOM",
    ])


def test_a_generator_crash_is_an_error(pytester, fake_tool, venv_python, run_tower) -> None:
    exe = fake_generator(fake_tool, 'echo "Traceback: boom" >&2\nexit 1')
    run = run_tower(f"""
        [compliance.sbom]
        python = "{venv_python}"
        executable = "{exe}"
    """, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "error"
    assert "cyclonedx-py exited with code 1" in check["message"]
    assert "Traceback: boom" in check["message"]
    assert not (pytester.path / "sbom.cdx.json").exists()
