"""What a security-testing check may attack, and how its secrets are kept out of files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.checks import target


def _options(**values: Any) -> dict[str, Any]:
    return {"base_url": "", "headers": {}, **values}


@pytest.mark.parametrize(("options", "words"), [
    (_options(), "name the application to attack"),
    (_options(base_url="http://h", environment="staging"), "not both"),
    (_options(base_url="127.0.0.1:8000"), "must be an http:// or https:// URL"),
    (_options(base_url="ftp://h"), "must be an http:// or https:// URL"),
    (_options(base_url="http://h/?x=1"), "no query or fragment"),
    (_options(base_url="http://h", headers={"X Bad": "v"}), "is not an HTTP header name"),
])
def test_one_target_named_plainly(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        target.validate(options)


def test_a_good_target_passes() -> None:
    target.validate(_options(base_url="https://h:8443/api", headers={"X-Token": "{env:T}"}))
    target.validate(_options(environment="staging"))


def test_secrets_are_masked_in_every_file_byte_for_byte(tmp_path: Path) -> None:
    secret = 'tok"en\\1'
    (tmp_path / "sub").mkdir()
    (tmp_path / "out.txt").write_text(f"Authorization: Bearer {secret}\n")
    (tmp_path / "sub" / "r.json").write_text(json.dumps({"h": secret}))
    (tmp_path / "sub" / "store.db").write_bytes(b"\x00\xff" + secret.encode() + b"\x00")
    (tmp_path / "clean.txt").write_text("nothing here")
    before = (tmp_path / "clean.txt").stat().st_mtime_ns
    target.mask_files(tmp_path, {secret})
    assert (tmp_path / "out.txt").read_text() == "Authorization: Bearer ***\n"
    assert json.loads((tmp_path / "sub" / "r.json").read_text()) == {"h": "***"}
    assert (tmp_path / "sub" / "store.db").read_bytes() == b"\x00\xff***\x00"
    assert (tmp_path / "clean.txt").stat().st_mtime_ns == before
