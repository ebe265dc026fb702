"""Waivers: validated at config time, expire by date, report what they did not match."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pytest_tower.checks.waivers import Waivers, validate

TODAY = date(2026, 6, 1)


def test_active_expired_and_stale() -> None:
    waivers = Waivers([
        {"id": "CVE-1", "reason": "r", "until": date(2026, 6, 1)},  # last day still counts
        {"id": "CVE-2", "reason": "r", "until": date(2026, 5, 31)},
        {"id": "CVE-3", "reason": "r", "until": date(2030, 1, 1)},
    ], TODAY)
    active, expired = waivers.match(["PYSEC-1", "CVE-1"])
    assert active is not None and active.id == "CVE-1" and expired is None
    active, expired = waivers.match(["GHSA-2", "CVE-2"])
    assert active is None and expired is not None and expired.id == "CVE-2"
    assert [w.id for w in waivers.stale()] == ["CVE-3"]
    assert [w.id for w in waivers.expired] == ["CVE-2"]


@pytest.mark.parametrize(("entry", "words"), [
    ({"id": "X", "until": TODAY}, "`reason` is required"),
    ({"id": "X", "reason": "", "until": TODAY}, "`reason` is required"),
    ({"id": "X", "reason": "r"}, "TOML date"),
    ({"id": "X", "reason": "r", "until": "2027-01-01"}, "TOML date"),
    ({"id": "X", "reason": "r", "until": datetime(2027, 1, 1)}, "TOML date"),
    ({"id": 3, "reason": "r", "until": TODAY}, "`id` must name"),
    ({"id": "X", "reason": "r", "until": TODAY, "by": "me"}, "unknown key(s) by"),
])
def test_malformed_waivers_are_rejected(entry, words) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        validate([{"id": "OK", "reason": "fine", "until": TODAY}, entry])
