"""An offline OSV advisory database, served to pip-audit as OSV's query API.

With `advisory_db`, an air-gapped gate still audits: the records (a directory
or zip of OSV JSON, the layout of OSV's per-ecosystem exports) are loaded
here and answered from a loopback server implementing `POST /v1/query`, which
pip-audit calls through `--osv-url`. pip-audit still resolves and reports.

pip-audit reads an answer of `{}` as "no known vulnerabilities", so the
matcher leans to "affected" whenever it cannot decide: a range whose event
versions do not parse under PEP 440 counts as affected unless the record
also lists the affected versions explicitly. A bad database (missing, empty,
unreadable record) is an AdvisoryError, never an empty answer — and so is one
that holds no advisory a PyPI package could match (every record for npm, say,
or without `affected`, or with PyPI entries that list no version and no
range): it would answer "clean" to every query. Records without `affected`
and PyPI entries that can match nothing are counted (`describe()`), so the
report says how much of the database was usable.

Long because it holds the OSV range matcher and the loopback server that answers
with it; both share the loaded records and their counts.
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from pytest_tower.checks.distributions import canonical_name

ECOSYSTEM = "PyPI"
QUERY_PATH = "/v1/query"
LOAD_TIMEOUT = 120.0


class AdvisoryError(Exception):
    """The advisory database cannot be used: missing, empty or malformed."""


@lru_cache(maxsize=65536)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(events: list[dict[str, str]], version: Version) -> bool | None:
    """OSV's range walk over ECOSYSTEM events; None when an event does not parse."""
    parsed: list[tuple[Version | None, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                value = event[kind]
                bound = None if (kind == "introduced" and value == "0") else _version(value)
                if bound is None and not (kind == "introduced" and value == "0"):
                    return None
                parsed.append((bound, kind))
    # "0" sorts first; at equal versions an introduction precedes its fix.
    parsed.sort(key=lambda e: (e[0] is not None, e[0] or Version("0"), e[1] != "introduced"))
    affected = False
    for bound, kind in parsed:
        if bound is not None and (version < bound or (kind == "last_affected"
                                                      and version == bound)):
            continue  # not reached: `version` is below this event
        affected = kind == "introduced"
    return affected


def listed_versions(affected: dict[str, Any]) -> frozenset[object]:
    """An entry's `versions` as written and as PEP 440 versions (2.19 == 2.19.0)."""
    listed = affected.get("versions") or []
    return frozenset([*listed, *filter(None, map(_version, listed))])


def affects(affected: dict[str, Any], version: str,
            listed: frozenset[object] | None = None) -> bool:
    """Whether one `affected[]` entry covers `version`: its versions list or a range."""
    listed = listed_versions(affected) if listed is None else listed
    wanted = _version(version)
    if version in listed or (wanted is not None and wanted in listed):
        return True
    for rng in affected.get("ranges") or []:
        if rng.get("type") != "ECOSYSTEM":
            continue
        inside = None if wanted is None else _in_range(rng.get("events") or [], wanted)
        if inside or (inside is None and not listed):
            return True
    return False


class AdvisoryDB:
    """OSV records indexed by canonical package name; withdrawn records dropped."""

    def __init__(self, records: Iterable[dict[str, Any]], source: str = "") -> None:
        self.source = source
        self.withdrawn = 0
        self.records = 0
        self.without_affected = 0
        self.unmatchable = 0  # PyPI entries with no versions and no ECOSYSTEM range
        self.pypi_records = 0
        self.ecosystems: dict[str, int] = {}  # records per other ecosystem
        self._index: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = {}
        self._listed: dict[int, frozenset[object]] = {}  # id(entry) -> its versions
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise AdvisoryError(f"{source}: a record without an `id`: {str(record)[:80]}")
            if record.get("withdrawn"):
                self.withdrawn += 1
                continue
            self.records += 1
            per_package = self._entries(record)
            for name, entries in per_package.items():
                self._index.setdefault(name, []).append((record, entries))
            self.pypi_records += bool(per_package)

    def _entries(self, record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """The record's PyPI entries that can match a version, by package; counts the rest."""
        affected = record.get("affected")
        if not isinstance(affected, list) or not affected:
            self.without_affected += 1
            return {}
        per_package: dict[str, list[dict[str, Any]]] = {}
        for entry in affected:
            package = (entry.get("package") if isinstance(entry, dict) else None) or {}
            ecosystem = str(package.get("ecosystem") or "(none)")
            if ecosystem != ECOSYSTEM:
                self.ecosystems[ecosystem] = self.ecosystems.get(ecosystem, 0) + 1
            elif package.get("name") and _can_match(entry):
                per_package.setdefault(canonical_name(package["name"]), []).append(entry)
            else:
                self.unmatchable += 1
        return per_package

    def describe(self) -> str:
        """How much of the database can answer a PyPI query, for the report."""
        text = (f"advisory database {self.source}: {self.records} records, "
                f"{self.pypi_records} for PyPI packages ({self.packages} packages)")
        extra = [f"{n} without `affected`" for n in [self.without_affected] if n]
        extra += [f"{n} PyPI entries with no version or range" for n in [self.unmatchable] if n]
        extra += [f"{n} withdrawn" for n in [self.withdrawn] if n]
        if self.ecosystems:
            extra.append("other ecosystems: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.ecosystems.items())))
        return text + ("; " + "; ".join(extra) if extra else "")

    @property
    def packages(self) -> int:
        return len(self._index)

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        """The records that affect `name` at `version`, in the database's order."""
        return [record for record, entries in self._index.get(canonical_name(name), [])
                if any(affects(entry, version, self._versions(entry)) for entry in entries)]

    def _versions(self, entry: dict[str, Any]) -> frozenset[object]:
        found = self._listed.get(id(entry))
        if found is None:
            found = self._listed[id(entry)] = listed_versions(entry)
        return found


def load(path: Path) -> AdvisoryDB:
    """Read a directory (searched recursively) or a zip of OSV JSON records."""
    try:
        if path.is_dir():
            records = [_parse(f.read_bytes(), f) for f in sorted(path.rglob("*.json"))]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith(".json")]
                records = [_parse(archive.read(n), f"{path}:{n}") for n in names]
        elif path.exists():
            raise AdvisoryError(f"{path} is neither a directory nor a zip of OSV JSON records")
        else:
            raise AdvisoryError(f"{path}: no such file or directory")
    except (OSError, zipfile.BadZipFile) as exc:
        raise AdvisoryError(f"{path}: cannot read: {exc}") from None
    db = AdvisoryDB(records, str(path))
    if not db.records:
        raise AdvisoryError(f"{path} holds no usable OSV records ({len(records)} files, "
                            f"{db.withdrawn} withdrawn): an audit against it proves nothing")
    if not db.packages:
        raise AdvisoryError(f"{path} holds no advisory for a PyPI package, so every query "
                            f"would read clean: {db.describe()}")
    return db


def _can_match(entry: dict[str, Any]) -> bool:
    """Does a PyPI entry name any version: a `versions` list or an ECOSYSTEM range?"""
    ranges = entry.get("ranges") or []
    return bool(entry.get("versions")) or any(
        isinstance(r, dict) and r.get("type") == "ECOSYSTEM" and r.get("events") for r in ranges)


def _parse(data: bytes, where: object) -> dict[str, Any]:
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{where}: not an OSV JSON record ({exc})") from None
    if not isinstance(record, dict):
        raise AdvisoryError(f"{where}: not an OSV JSON record (a {type(record).__name__})")
    return record


class OsvServer(ThreadingHTTPServer):
    """OSV's `POST /v1/query` on 127.0.0.1, answering from an AdvisoryDB.

    Given a path, the database loads in the background while the client
    starts; queries wait for it, and a load that failed answers 503 (pip-audit
    then crashes, never reads "clean") with the reason kept in `error`.
    """

    daemon_threads = True

    def __init__(self, db: AdvisoryDB | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.db = db
        self.error: AdvisoryError | None = None
        self.ready = threading.Event()
        if db is not None:
            self.ready.set()
        self.queries: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def load(self, path: Path) -> None:
        try:
            self.db = load(path)
        except Exception as exc:  # a loader thread must not fail silently
            self.error = exc if isinstance(exc, AdvisoryError) else AdvisoryError(
                f"{path}: {exc!r}")
        finally:
            self.ready.set()

    def wait(self, timeout: float | None = None) -> AdvisoryDB:
        """The loaded database, or AdvisoryError saying why there is none."""
        if not self.ready.wait(timeout):
            raise AdvisoryError(f"the advisory database did not load within {timeout:g}s")
        if self.db is None:
            raise self.error or AdvisoryError("the advisory database did not load")
        return self.db

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{QUERY_PATH}"


class _Handler(BaseHTTPRequestHandler):
    server: OsvServer

    def do_POST(self) -> None:
        if self.path.split("?")[0] != QUERY_PATH:
            return self._send(404, {"error": f"only POST {QUERY_PATH} is served"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            name, ecosystem = body["package"]["name"], body["package"]["ecosystem"]
            version = body["version"]
        except (ValueError, KeyError, TypeError):
            return self._send(400, {"error": "expected {package: {name, ecosystem}, version}"})
        if ecosystem != ECOSYSTEM or not isinstance(name, str) or not isinstance(version, str):
            return self._send(400, {"error": f"only {ECOSYSTEM} name/version queries"})
        try:
            db = self.server.wait(LOAD_TIMEOUT)
        except AdvisoryError as exc:
            return self._send(503, {"error": f"advisory database unusable: {exc}"})
        with self.server.lock:
            self.server.queries.append((canonical_name(name), version))
        vulns = db.query(name, version)
        self._send(200, {"vulns": vulns} if vulns else {})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # pip-audit's own output is what the user reads


@contextmanager
def serve(db: AdvisoryDB | Path) -> Iterator[OsvServer]:
    """Run an OsvServer in a thread for the block; a path is loaded meanwhile."""
    server = OsvServer(db if isinstance(db, AdvisoryDB) else None)
    threads = [threading.Thread(target=server.serve_forever, args=(0.05,), name="tower-osv",
                                daemon=True)]
    if not isinstance(db, AdvisoryDB):
        threads.append(threading.Thread(target=server.load, args=(db,), name="tower-osv-load",
                                        daemon=True))
    for thread in threads:
        thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join()
