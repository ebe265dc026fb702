"""Bench: the demo from nothing to a healthy staging, and rollback time.

    .venv/bin/python bench/bench_deploy.py [--repeat 3] [--no-isolation]

Copies examples/tasktower to a temporary project, builds its wheel with the
package check (python -m build; isolated unless --no-isolation), deploys it
to a local staging environment (gunicorn, 2 workers, on 127.0.0.1) and
splits the time into build / install / start / health. Then, --repeat
times: deploy a second release and roll back to the verified first one;
prints the median rollback time. Everything it starts is stopped.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_tower.checks.package import CHECK_TYPE  # noqa: E402
from pytest_tower.core.model import CheckContext  # noqa: E402
from pytest_tower.environments import open_environment, parse_environment  # noqa: E402

STAGING = {
    "strategy": "local",
    "command": "gunicorn --no-control-socket --bind 127.0.0.1:{port} --workers 2 "
               "tasktower.app:app",
    "health": "/healthz",
    "env": {"TASKTOWER_DB": "{state}/tasktower.db"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-isolation", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tower-bench-") as tmp:
        project = Path(tmp) / "tasktower"
        shutil.copytree(ROOT / "examples" / "tasktower", project,
                        ignore=shutil.ignore_patterns("__pycache__", ".tower", "*.db"))
        began = time.monotonic()
        ctx = CheckContext("build::package", project,
                           {"path": ".", "isolated": not args.no_isolation}, 300.0,
                           project / ".tower" / "artifacts", deadline=began + 300.0)
        built = CHECK_TYPE.run(ctx)
        build_s = time.monotonic() - began
        wheel = project / built.artifacts["wheel"]
        env = open_environment(parse_environment("staging", STAGING), project,
                               project / ".tower" / "envs")
        try:
            deployment = env.deploy(wheel)
            total = time.monotonic() - began
            t = env.timings
            print(f"wheel: {wheel.name} ({int(built.metrics['size'])} B, "
                  f"{int(built.metrics['files'])} files)")
            print(f"start -> staging healthy: {total:.2f}s  (build {build_s:.2f}s, "
                  f"install {t['install']:.2f}s, start {t['start']:.3f}s, "
                  f"health {t['health']:.2f}s; other {total - build_s - t['deploy']:.2f}s)")
            print(f"served at {deployment.url} by pid {deployment.pid}")
            env.mark_verified()
            rollbacks, deploys = [], []
            for _ in range(args.repeat):
                env.deploy(wheel)
                deploys.append(env.timings["deploy"])
                rollbacks.append(env.rollback("bench").seconds)
            print(f"deploy (median of {args.repeat}): {statistics.median(deploys):.2f}s; "
                  f"rollback to verified (median of {args.repeat}): "
                  f"{statistics.median(rollbacks):.2f}s  {[round(r, 2) for r in rollbacks]}")
        finally:
            env.stop()


if __name__ == "__main__":
    main()
