"""File discovery and sharding of the bandit gate: pure file-system logic, no bandit run."""

from __future__ import annotations

from pathlib import Path

import pytest_tower.checks.bandit.scan as scan


def tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n" * (1 + len(name)))


def test_discover_skips_bandit_and_tower_default_folders(tmp_path):
    tree(tmp_path, ["src/a.py", "src/b.txt", "src/.git/c.py", "src/__pycache__/d.py",
                    "src/venv/e.py", "src/build/f.py", "src/rebuild.py", "src/x.egg/g.py",
                    "lone.py"])
    files = scan.discover(tmp_path, ["src", "lone.py"], scan.EXTRA_EXCLUDES,
                          scan.BANDIT_EXCLUDES)
    assert files == ["lone.py", "src/a.py", "src/rebuild.py", "src/x.egg/g.py"]


def test_discover_matches_bandit_style_excludes_like_bandit(tmp_path):
    tree(tmp_path, ["src/a.py", "src/gen/b.py", "src/tests/test_c.py", "src/d_tests.py"])
    files = scan.discover(tmp_path, ["src"], [], ["src/gen", "*/tests/*"])
    assert files == ["src/a.py", "src/d_tests.py"]


def test_shards_cover_every_file_once_and_balance_sizes(tmp_path):
    names = [f"m{i}.py" for i in range(200)]
    tree(tmp_path, names)
    parts = scan.shards(tmp_path, names, 3)
    assert len(parts) == 6
    assert sorted(f for p in parts for f in p) == sorted(names)
    sizes = [sum((tmp_path / f).stat().st_size for f in p) for p in parts]
    assert max(sizes) - min(sizes) <= max((tmp_path / n).stat().st_size for n in names)


def test_small_tree_or_one_job_is_one_process(tmp_path):
    names = [f"m{i}.py" for i in range(200)]
    tree(tmp_path, names)
    assert len(scan.shards(tmp_path, names[: scan.SMALL_TREE - 1], 8)) == 1
    assert len(scan.shards(tmp_path, names, 1)) == 1


def test_folder_names_exclude_only_below_the_scanned_path(tmp_path):
    tree(tmp_path, ["build/lib/a.py", "build/lib/dist/b.py", "venv/tool.py"])
    files = scan.discover(tmp_path, ["build/lib", "venv/tool.py"], scan.EXTRA_EXCLUDES,
                          scan.BANDIT_EXCLUDES)
    assert files == ["build/lib/a.py", "venv/tool.py"]
