"""Helpers for the environment tests: demo wheels (good and deliberately bad),
processes found by their release marker, and cleanup that leaves nothing running.

Variants of Task Tower are built offline with hatchling's PEP 517 hook (in the
dev venv) from a copy of examples/tasktower with a few lines appended to app.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pytest_tower.environments.procs import group_members, has_marker, stop_group

DEMO = Path(__file__).resolve().parents[2] / "examples" / "tasktower"
COMMAND = "gunicorn --no-control-socket --bind {host}:{port} --workers 2 tasktower.app:app"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

PATCHES = {
    # Healthy, plus a route whose unhandled exception gunicorn logs as an ERROR.
    "boom": """
_real_app = app
def app(environ, start_response):
    if environ.get("PATH_INFO") == "/boom":
        raise RuntimeError("boom on purpose")
    return _real_app(environ, start_response)
""",
    # Workers fail to import: gunicorn exits at once ("Worker failed to boot").
    "crash": 'raise RuntimeError("this release is broken on purpose")\n',
    # Serves, but /healthz always answers 500.
    "sick": """
_real_app = app
def app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"sick on purpose"]
    return _real_app(environ, start_response)
""",
    # Logs errors the ways apps really do (F1): logging's default format on stderr,
    # CRITICAL, and JSON / logfmt lines in a file named by $APP_LOG_FILE.
    "logs": """
import logging as _logging, os as _os
_real_app = app
def app(environ, start_response):
    if environ.get("PATH_INFO") == "/log":
        _logging.basicConfig()
        _log = _logging.getLogger("billing")
        _log.error("database connection lost, request dropped")
        _log.critical("data corruption detected")
        print("ERROR: a print() to stdout, never flushed")
        with open(_os.environ["APP_LOG_FILE"], "a") as _fh:
            _fh.write('{"level": "error", "msg": "payment failed"}\\n')
            _fh.write('ts=1 level=fatal msg="queue gone"\\n')
            _fh.write('{"level": "info", "msg": "0 errors in the error budget"}\\n')
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"logged"]
    if environ.get("PATH_INFO") == "/boom":
        raise RuntimeError("boom on purpose")
    return _real_app(environ, start_response)
""",
    # Boots slowly: says it started (a file named by $TASKTOWER_MARKER), then sleeps.
    "slow": """
import os as _os, time as _time
_marker = _os.environ.get("TASKTOWER_MARKER")
if _marker:
    with open(_marker, "a") as _fh:
        _fh.write(f"{_os.getpid()}\\n")
_time.sleep(120)
""",
}

BUILD = """
import os, sys
import hatchling.build
out = sys.argv[1]
for source in sys.argv[2:]:
    os.chdir(source)
    print(hatchling.build.build_wheel(out))
"""


def build_variants(folder: Path, variants: dict[str, str]) -> dict[str, Path]:
    """Wheels of the demo: name -> patch key ("" for none); version 0.1.<i>."""
    sources = []
    for i, (name, patch) in enumerate(variants.items()):
        src = folder / "src" / name
        shutil.copytree(DEMO / "tasktower", src / "tasktower",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for extra in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy(DEMO / extra, src / extra)
        (src / "tasktower" / "__init__.py").write_text(f'__version__ = "0.1.{i}"\n')
        if patch:
            with open(src / "tasktower" / "app.py", "a") as fh:
                fh.write("\n" + PATCHES[patch])
        sources.append(src)
    out = folder / "wheels"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-c", BUILD, str(out), *map(str, sources)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    return {name: out / names[i] for i, name in enumerate(variants)}


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET on loopback: (status, body); status 0 when nothing answers."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def marked_processes(state_folder: Path, release: str) -> list[int]:
    """Live processes whose environment says they belong to `release`."""
    marker = f"TOWER_RELEASE={state_folder}/{release}"
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and has_marker(int(p.name), marker)]


def kill_recorded(state_folder: Path) -> None:
    """Safety net for fixtures: stop every recorded release process still running."""
    path = state_folder / "state.json"
    if not path.exists():
        return
    for entry in json.loads(path.read_text())["history"]:
        for pid in marked_processes(state_folder, entry["release"]):
            stop_group(pid, 2.0)


def gone(pid: int) -> bool:
    return not group_members(pid)


WHEEL_PROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"

[tool.hatch.build.targets.wheel]
only-include = {include}
"""


def build_wheel(folder: Path, name: str, files: dict[str, str], include: list[str],
                version: str = "0.2") -> Path:
    """A wheel of distribution `name` holding only `include` of `files` (hatchling, offline)."""
    src = folder / f"src-{name}-{version}"
    for path, text in {**files, "pyproject.toml": WHEEL_PROJECT.format(
            name=name, version=version, include=json.dumps(include))}.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text(text)
    out = folder / "wheels"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", BUILD, str(out), str(src)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return out / proc.stdout.split()[-1]
