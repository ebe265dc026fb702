"""Bench: load time of the full offline advisory database, and query speed.

    .venv/bin/python bench/bench_advisories.py [--repeat 5]

The database is the shared 2,661-record snapshot: $TOWER_ADVISORIES (a zip
or folder), else ../shared/advisories/pypi-osv-all.zip beside this repository.
Skipped with a message when neither exists (a fresh clone has no /work/shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_tower.checks.pip_audit.osv import load  # noqa: E402

TARGET_S = 1.0


def database() -> Path | None:
    given = os.environ.get("TOWER_ADVISORIES")
    path = Path(given) if given else REPO.parent / "shared" / "advisories" / "pypi-osv-all.zip"
    return path if path.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = database()
    if path is None:
        print("skipped: no advisory snapshot (set TOWER_ADVISORIES or provide "
              "../shared/advisories/pypi-osv-all.zip)")
        return
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        db = load(path)
        times.append(time.perf_counter() - started)
    load_s = statistics.median(times)
    print(f"database: {path} — {db.records} records, {db.withdrawn} withdrawn, "
          f"{db.packages} packages")
    print(f"load   median {load_s * 1000:7.1f} ms  runs "
          + ", ".join(f"{t * 1000:.0f}" for t in times)
          + f"  (target well under {TARGET_S:g}s: {'met' if load_s < TARGET_S else 'NOT met'})")
    names = sorted({n for n in db._index})
    started = time.perf_counter()
    hits = sum(bool(db.query(name, version)) for name in names for version in ("0.1", "99.0"))
    query_s = time.perf_counter() - started
    print(f"query  {2 * len(names)} lookups in {query_s * 1000:.1f} ms "
          f"({query_s / (2 * len(names)) * 1e6:.0f} µs each, {hits} affected)")
    assert load_s < TARGET_S, f"loading took {load_s:.2f}s"


if __name__ == "__main__":
    main()
