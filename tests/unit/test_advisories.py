"""The offline OSV database: loading, OSV version matching, and the loopback query API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.checks.pip_audit.osv import AdvisoryDB, AdvisoryError, canonical_name, load, serve

DATA = Path(__file__).parent.parent / "data" / "advisories"


def synthetic(events: list[dict[str, str]] | None = None, versions: list[str] | None = None,
              name: str = "demo", **extra: Any) -> dict[str, Any]:
    """A made-up record (ids SYNTHETIC-…), shaped like OSV's."""
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": "SYNTHETIC-1", "affected": [affected], **extra}


def hit(record: dict[str, Any], version: str, name: str = "demo") -> bool:
    return bool(AdvisoryDB([record]).query(name, version))


@pytest.fixture(scope="module")
def real() -> AdvisoryDB:
    return load(DATA)


def ids(db: AdvisoryDB, name: str, version: str) -> set[str]:
    return {r["id"] for r in db.query(name, version)}


def test_the_shared_facts_about_requests(real) -> None:
    assert ids(real, "requests", "2.19.0") == {"PYSEC-2018-28", "PYSEC-2023-74"}
    assert ids(real, "requests", "2.31.0") == set()
    assert ids(real, "requests", "2.30.0") == {"PYSEC-2023-74"}  # fixed 2.31.0, exclusive
    assert ids(real, "requests", "2.2.1") == {"PYSEC-2018-28"}  # before 2023-74's 2.3.0


@pytest.mark.parametrize(("version", "affected"), [
    ("0.1", True), ("2.9", True), ("2.9.99", True), ("2.10", False), ("2.10.0", False),
    ("2.10.0rc1", True), ("2.10.0.dev0", True), ("3.0", False),
])
def test_pep440_order_not_string_order(version: str, affected: bool) -> None:
    record = synthetic([{"introduced": "0"}, {"fixed": "2.10"}])
    assert hit(record, version) is affected


@pytest.mark.parametrize(("version", "affected"), [
    ("1.0rc1", False), ("1.0", True), ("1.5", True), ("1.5.post1", False), ("2.0", False),
])
def test_last_affected_is_inclusive(version: str, affected: bool) -> None:
    assert hit(synthetic([{"introduced": "1.0"}, {"last_affected": "1.5"}]), version) is affected


def test_pre_release_introduction() -> None:
    record = synthetic([{"introduced": "2.0.0b1"}, {"fixed": "2.0.1"}])
    assert [hit(record, v) for v in ("2.0.0a9", "2.0.0b1", "2.0.0", "2.0.1")] == [
        False, True, True, False]


def test_several_intervals_in_one_range_in_any_order() -> None:
    record = synthetic([{"fixed": "1.2"}, {"introduced": "2.0"}, {"introduced": "1.0"},
                        {"fixed": "2.1"}])
    assert [hit(record, v) for v in ("0.9", "1.1", "1.5", "2.0.5", "2.1")] == [
        False, True, False, True, False]


def test_real_last_affected_record(real) -> None:
    assert ids(real, "py", "1.11.0") == {"PYSEC-2022-42969"}
    assert ids(real, "py", "1.11.1") == set()


def test_versions_list_without_ranges(real) -> None:
    assert ids(real, "gratient", "0.5") == {"PYSEC-2024-1"}
    assert ids(real, "gratient", "0.5.0") == {"PYSEC-2024-1"}  # PEP 440 equal
    assert ids(real, "gratient", "0.6") == set()


def test_versions_list_counts_even_outside_the_range() -> None:
    record = synthetic([{"introduced": "1.0"}, {"fixed": "1.1"}], versions=["0.5"])
    assert hit(record, "0.5") and hit(record, "1.0") and not hit(record, "0.6")


def test_git_ranges_are_not_read_as_versions() -> None:
    record = synthetic()
    record["affected"][0]["ranges"] = [{"type": "GIT", "events": [{"introduced": "0"}]}]
    assert not hit(record, "1.0")


def test_unparseable_bound_counts_as_affected_unless_versions_are_listed(real) -> None:
    assert ids(real, "steam", "1.0") == {"PYSEC-2019-125"}  # fixed "2019-09-12"
    listed = synthetic([{"introduced": "0"}, {"fixed": "not-a-version"}], versions=["1.0"])
    assert hit(listed, "1.0") and not hit(listed, "2.0")


def test_withdrawn_records_are_ignored(real) -> None:
    assert real.withdrawn == 1
    assert ids(real, "loguru", "0.5.0") == set()  # PYSEC-2022-15 is withdrawn
    withdrawn = synthetic([{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z")
    assert not hit(withdrawn, "1.0")


@pytest.mark.parametrize("query", ["jw.util", "jw-util", "JW_Util", "jw__util", "Jw.-Util"])
def test_names_are_normalised_per_pep503(real, query: str) -> None:
    assert ids(real, query, "2.2") == {"PYSEC-2020-341"}
    assert ids(real, query, "2.3") == set()


def test_canonical_name() -> None:
    assert canonical_name("Foo.Bar__baz-Qux") == "foo-bar-baz-qux"


def test_other_ecosystems_are_ignored() -> None:
    record = synthetic([{"introduced": "0"}])
    record["affected"][0]["package"]["ecosystem"] = "npm"
    assert not hit(record, "1.0")


def test_zip_and_directory_load_the_same(tmp_path: Path, real) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in sorted(DATA.glob("*.json")):
            zf.write(record, record.name)
        zf.writestr("README.txt", "not a record")
    db = load(archive)
    assert (db.records, db.withdrawn, db.packages) == (real.records, real.withdrawn,
                                                       real.packages) == (6, 1, 5)
    assert ids(db, "requests", "2.19.0") == {"PYSEC-2018-28", "PYSEC-2023-74"}


def test_directory_is_searched_recursively(tmp_path: Path) -> None:
    (tmp_path / "requests").mkdir()
    (tmp_path / "requests" / "X.json").write_bytes((DATA / "PYSEC-2018-28.json").read_bytes())
    assert ids(load(tmp_path), "requests", "2.0") == {"PYSEC-2018-28"}


@pytest.mark.parametrize(("setup", "words"), [
    (lambda p: p, "no such file"),
    (lambda p: (p.mkdir(), p)[1], "no usable OSV records"),
    (lambda p: (p.write_text("hello"), p)[1], "neither a directory nor a zip"),
    (lambda p: (p.mkdir(), (p / "a.json").write_text("{oops"), p)[2], "not an OSV JSON"),
    (lambda p: (p.mkdir(), (p / "a.json").write_text('{"x": 1}'), p)[2], "without an `id`"),
])
def test_unusable_database_is_an_error_not_an_empty_one(tmp_path: Path, setup, words) -> None:
    with pytest.raises(AdvisoryError, match=words):
        load(setup(tmp_path / "db"))


def post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_answers_like_osv_query(real) -> None:
    with serve(real) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/v1/query")
        query = {"package": {"name": "Requests", "ecosystem": "PyPI"}, "version": "2.19.0"}
        status, body = post(server.url, query)
        assert status == 200
        assert {v["id"] for v in body["vulns"]} == {"PYSEC-2018-28", "PYSEC-2023-74"}
        assert post(server.url, {**query, "version": "2.31.0"}) == (200, {})
        assert post(server.url, {"package": {"name": "requests"}})[0] == 400
        assert post(server.url, {**query, "package": {"name": "x", "ecosystem": "npm"}})[0] == 400
        assert post(server.url.replace("/v1/query", "/v1/querybatch"), query)[0] == 404
        assert server.queries == [("requests", "2.19.0"), ("requests", "2.31.0")]
    with pytest.raises(OSError):
        post(server.url, query)  # stopped with the block


def test_server_loading_in_the_background_answers_503_when_the_load_fails(tmp_path) -> None:
    query = {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.19.0"}
    with serve(tmp_path / "missing.zip") as server:
        status, body = post(server.url, query)
        assert status == 503 and "no such file" in body["error"]
        with pytest.raises(AdvisoryError, match="no such file"):
            server.wait(10)
    with serve(DATA) as server:
        assert {v["id"] for v in post(server.url, query)[1]["vulns"]} == {
            "PYSEC-2018-28", "PYSEC-2023-74"}
        assert server.wait(10).records == 6


def test_what_cannot_match_a_pypi_query_is_counted() -> None:
    npm = synthetic([{"introduced": "0"}])
    npm["affected"][0]["package"]["ecosystem"] = "npm"
    bare = synthetic(versions=None)
    db = AdvisoryDB([synthetic([{"introduced": "0"}]), npm, {"id": "X-2"}, bare], "db")
    assert (db.records, db.pypi_records, db.without_affected, db.unmatchable) == (4, 1, 1, 1)
    assert db.describe() == ("advisory database db: 4 records, 1 for PyPI packages (1 packages);"
                             " 1 without `affected`; 1 PyPI entries with no version or range; "
                             "other ecosystems: npm 1")


@pytest.mark.parametrize("records", [
    [{"id": "X-1"}],
    [{"id": "X-1", "affected": [{"package": {"ecosystem": "Go", "name": "x"},
                                 "versions": ["1"]}]}],
    [{"id": "X-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
                                 "ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]}],
], ids=["no-affected", "other-ecosystem", "git-range-only"])
def test_database_with_nothing_for_pypi_is_an_error(tmp_path: Path, records) -> None:
    for i, record in enumerate(records):
        (tmp_path / f"{i}.json").write_text(json.dumps(record))
    with pytest.raises(AdvisoryError, match="holds no advisory for a PyPI package"):
        load(tmp_path)
