"""The required-files gate on tmp projects."""

from __future__ import annotations

import pytest

GATE = """
    [compliance.files]
    required = ["LICENSE*", "README.md", "SECURITY.md", "docs/*.md"]
"""


def test_all_present_passes(pytester, run_tower) -> None:
    pytester.makefile("", LICENSE_MIT="MIT License\n")
    pytester.makefile(".md", README="# x\n", SECURITY="mail us\n")
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "guide.md").write_text("# guide\n")
    run = run_tower(GATE, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()
    assert check["metrics"] == {"missing": 0, "present": 4}
    assert "TOWER GATE PASSED" in run.stdout.str()


def test_missing_and_empty_files_are_listed_by_name(pytester, run_tower, no_traceback) -> None:
    pytester.makefile(".md", README="# x\n", SECURITY="")
    run = run_tower(GATE, "-p", "no:cacheprovider")
    check = run.check
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"missing": 3, "present": 1}
    root = pytester.path
    run.stdout.fnmatch_lines([
        "findings (3):",
        f"  LICENSE* missing no file matches under {root}",
        "  SECURITY.md missing is empty",
        f"  docs/*.md missing no file matches under {root}",
    ])
    assert "TOWER GATE FAILED" in run.stdout.str()
    assert no_traceback(run.stdout.str())


@pytest.mark.parametrize(
    ("required", "message"),
    [("[]", "`required` is empty"), ('["../LICENSE"]', "must be a path or glob relative"),
     ('["/etc/passwd"]', "must be a path or glob relative")],
)
def test_bad_required_is_a_config_error(pytester, gates, required: str, message: str) -> None:
    gates(f"[compliance.files]\nrequired = {required}\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[compliance.files]" in result.stderr.str()
    assert message in result.stderr.str()


def test_required_must_be_given(pytester, gates) -> None:
    gates("[compliance.files]\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "required: missing required option" in result.stderr.str()


def test_only_a_regular_file_with_content_counts(pytester, run_tower, no_traceback) -> None:
    root = pytester.path
    (root / "LICENSE").mkdir()  # an empty directory named LICENSE
    (root / "README.md").symlink_to(root / "gone.md")  # dangling
    (root / "SECURITY.md").write_text(" \n\t\n")  # blank
    (root / "NOTICE").symlink_to("/dev/null")  # not a regular file
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("")
    (root / "docs" / "real.md").symlink_to(root / "docs" / "target.txt")
    (root / "docs" / "target.txt").write_text("# ok\n")
    run = run_tower('[compliance.files]\nrequired = ["LICENSE", "README.md", "SECURITY.md", '
                    '"NOTICE", "docs/*.md", "doc*"]\n', "-p", "no:cacheprovider")
    check = run.check
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"missing": 5, "present": 1}  # docs/real.md -> a real file
    run.stdout.fnmatch_lines([
        "  LICENSE missing is a directory, not a file (to require a folder, *",
        "  README.md missing is a dangling symlink (its target does not exist)",
        "  SECURITY.md missing holds only whitespace",
        "  NOTICE missing is not a regular file",
        "  doc* missing no usable match: docs is a directory*",
    ])
    assert no_traceback(run.stdout.str())


def test_a_glob_whose_matches_are_all_unusable_says_why(pytester, run_tower) -> None:
    (pytester.path / "LICENSE.md").write_text("")
    (pytester.path / "LICENSE.txt").mkdir()
    run = run_tower('[compliance.files]\nrequired = ["LICENSE*"]\n', "-p", "no:cacheprovider")
    check = run.check
    assert check["metrics"]["missing"] == 1
    assert "LICENSE* missing no usable match: LICENSE.md is empty; LICENSE.txt is a " \
        "directory" in run.stdout.str()


def test_a_symlink_out_of_the_project_is_missing(pytester, tmp_path_factory, run_tower) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "LICENSE"
    outside.write_text("MIT License\n\nPermission is hereby granted, free of charge...\n")
    (pytester.path / "LICENSE").symlink_to(outside)
    (pytester.path / "README.md").symlink_to(pytester.path / "docs.md")  # inside: fine
    (pytester.path / "docs.md").write_text("# The project, documented at some length\n")
    run = run_tower('[compliance.files]\nrequired = ["LICENSE", "README.md"]\n',
                    "-p", "no:cacheprovider")
    check = run.check
    assert check["metrics"] == {"missing": 1, "present": 1}
    assert f"LICENSE missing resolves to {outside.resolve()}, outside the project" in \
        run.stdout.str()


def test_a_placeholder_passes_with_a_note(pytester, run_tower) -> None:
    (pytester.path / "LICENSE").write_text("TODO\n")
    run = run_tower('[compliance.files]\nrequired = ["LICENSE"]\n', "-p", "no:cacheprovider")
    check = run.check
    assert check["verdict"] == "passed"
    assert "LICENSE holds only 'TODO': is it a placeholder?" in run.stdout.str()
