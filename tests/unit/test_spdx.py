"""Licence names -> SPDX ids, expression parsing and the allow/deny decision."""

from __future__ import annotations

import pytest

import pytest_tower.checks.licenses.spdx as spdx
from pytest_tower.checks.licenses.spdx import ALLOWED, DENIED, NOT_ALLOWED, UNKNOWN, Policy

BSD = ("BSD-2-Clause", "BSD-3-Clause")


@pytest.mark.parametrize(
    ("written", "ids"),
    [
        ("MIT", ("MIT",)),
        ("mit", ("MIT",)),
        ("MIT License", ("MIT",)),
        ("The MIT License (MIT)", ("MIT",)),
        ("BSD", BSD),
        ("BSD License", BSD),
        ("BSD 3-Clause License", ("BSD-3-Clause",)),
        ("New BSD", ("BSD-3-Clause",)),
        ("Apache 2.0", ("Apache-2.0",)),
        ("Apache-2", ("Apache-2.0",)),
        ("Apache Software License", ("Apache-2.0",)),
        ("Apache License, Version 2.0", ("Apache-2.0",)),
        ("PSF", ("PSF-2.0",)),
        ("Python Software Foundation License", ("PSF-2.0",)),
        ("MPL 2.0", ("MPL-2.0",)),
        ("Mozilla Public License 2.0 (MPL 2.0)", ("MPL-2.0",)),
        ("ISC License (ISCL)", ("ISC",)),
        ("GNU General Public License v3 (GPLv3)", ("GPL-3.0-only",)),
        ("GNU General Public License v3 or later (GPLv3+)", ("GPL-3.0-or-later",)),
        ("GPLv2+", ("GPL-2.0-or-later",)),
        ("GPL-3.0", ("GPL-3.0-only",)),
        ("GPL-2.0+", ("GPL-2.0-or-later",)),
        ("LGPL-2.1", ("LGPL-2.1-only",)),
        ("LGPL", spdx.ALIASES["LGPL"]),
        ("GNU Library or Lesser General Public License (LGPL)", spdx.ALIASES["LGPL"]),
        ("Python-2.0.1", ("Python-2.0.1",)),
        ("Public Domain", ()),
        ("Proprietary", ()),
        ("Copyright (c) 2020 Someone", ()),
    ],
)
def test_lookup_normalises_common_spellings(written: str, ids: tuple[str, ...]) -> None:
    assert spdx.lookup(written) == ids


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("MIT OR GPL-3.0-only", "MIT OR GPL-3.0-only"),
        ("MIT AND (Apache-2.0 OR BSD-3-Clause)", "MIT AND (Apache-2.0 OR BSD-3-Clause)"),
        ("MIT AND Apache-2.0 OR ISC", "(MIT AND Apache-2.0) OR ISC"),  # AND binds tighter
        ("((MIT))", "MIT"),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0",
         "GPL-2.0-or-later WITH Classpath-exception-2.0"),
        ("Apache 2.0 or MIT License", "Apache-2.0 OR MIT"),
        ("GPL-2.0-or-later", "GPL-2.0-or-later"),  # the "or" inside an id is no operator
        ("Foo OR MIT", "Foo (unrecognised) OR MIT"),
    ],
)
def test_parse(text: str, shown: str) -> None:
    assert str(spdx.parse(text)) == shown


@pytest.mark.parametrize("text", ["", "MIT OR", "(MIT", "MIT)", "AND MIT", "MIT WITH",
                                  "MIT OR OR ISC", "MIT WITH (X)"])
def test_parse_rejects_broken_expressions(text: str) -> None:
    with pytest.raises(spdx.SpdxError):
        spdx.parse(text)


POLICY = Policy(frozenset({"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause"}),
                frozenset({"GPL-3.0-only"}))


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [
        ("MIT", ALLOWED, "MIT is allowed"),
        ("GPL-3.0-only", DENIED, "GPL-3.0-only is denied"),
        ("ISC", NOT_ALLOWED, "ISC is not in the allow list"),
        ("Frobnicate License", UNKNOWN, "'Frobnicate License' is not a recognised licence"),
        ("MIT OR GPL-3.0-only", ALLOWED, "MIT is allowed"),
        ("GPL-3.0-only OR MIT", ALLOWED, "MIT is allowed"),
        ("MIT AND GPL-3.0-only", DENIED, "GPL-3.0-only is denied"),
        ("MIT AND ISC", NOT_ALLOWED, "ISC is not in the allow list"),
        ("MIT AND Frob", UNKNOWN, "'Frob' is not a recognised licence"),
        ("(MIT OR GPL-3.0-only) AND (ISC OR Apache-2.0)", ALLOWED, "MIT is allowed"),
        ("GPL-3.0-only OR ISC", NOT_ALLOWED, "ISC is not in the allow list"),
        ("BSD License", ALLOWED, "BSD-2-Clause is allowed"),
        ("GPL-3.0-only WITH GCC-exception-3.1", DENIED, "GPL-3.0-only is denied"),
    ],
)
def test_evaluate(text: str, status: str, reason: str) -> None:
    decision = spdx.evaluate(spdx.parse(text), POLICY)
    assert (decision.status, decision.reason) == (status, reason)


def test_ambiguous_name_needs_every_reading_allowed() -> None:
    only_bsd3 = Policy(frozenset({"BSD-3-Clause"}))
    decision = spdx.evaluate(spdx.parse("BSD License"), only_bsd3)
    assert decision.status == NOT_ALLOWED
    assert decision.reason == ("'BSD License' is ambiguous (BSD-2-Clause or BSD-3-Clause) "
                               "and BSD-2-Clause is not in the allow list")


def test_deny_only_policy_allows_any_recognised_licence_but_not_unknown() -> None:
    policy = Policy(None, frozenset({"GPL-3.0-only"}))
    assert spdx.evaluate(spdx.parse("ISC"), policy).status == ALLOWED
    assert spdx.evaluate(spdx.parse("GPLv3"), policy).status == DENIED
    assert spdx.evaluate(spdx.parse("Other/Proprietary"), policy).status == UNKNOWN


def test_with_exception_can_be_allowed_as_a_whole() -> None:
    policy = Policy(frozenset({"GPL-2.0-or-later WITH Classpath-exception-2.0"}))
    allowed = spdx.parse("GPL-2.0-or-later WITH Classpath-exception-2.0")
    assert spdx.evaluate(allowed, policy).status == ALLOWED
    assert spdx.evaluate(spdx.parse("GPL-2.0-or-later"), policy).status == NOT_ALLOWED


def test_custom_licence_refs_are_recognised_only_when_named() -> None:
    policy = Policy(frozenset({"LicenseRef-Acme"}))
    assert spdx.evaluate(spdx.parse("LicenseRef-Acme", ["LicenseRef-Acme"]), policy).status \
        == ALLOWED
    assert spdx.evaluate(spdx.parse("LicenseRef-Other", ["LicenseRef-Acme"]), policy).status \
        == UNKNOWN


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [("MIT", "MIT"), ("apache-2.0", "Apache-2.0"), ("GPL-3.0", "GPL-3.0-only"),
     ("LicenseRef-Acme", "LicenseRef-Acme"),
     ("GPL-2.0-or-later WITH classpath-exception-2.0",
      "GPL-2.0-or-later WITH Classpath-exception-2.0")],
)
def test_policy_entries_are_canonical_ids(entry: str, canonical: str) -> None:
    assert spdx.canonical_policy_id(entry) == canonical


@pytest.mark.parametrize(
    ("entry", "message"),
    [("BSD", "'BSD' is ambiguous: BSD-2-Clause or BSD-3-Clause"),
     ("MIT-Licence-X", "'MIT-Licence-X' is not a known SPDX licence id"),
     ("MIT WITH Nope", "'MIT WITH Nope': 'Nope' is not a known SPDX exception")],
)
def test_policy_entries_that_are_not_one_id_are_rejected(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        spdx.canonical_policy_id(entry)


@pytest.mark.parametrize(
    ("written", "ids"),
    [("MIT-Modern-Variant", ("MIT-Modern-Variant",)),
     ("bsd-3-clause-lbnl", ("BSD-3-Clause-LBNL",)),
     ("Apache-2.0", ("Apache-2.0",)),
     ("GPL-2.0", ("GPL-2.0-only",)),  # deprecated SPDX ids, from the library's list
     ("LGPL-2.1+", ("LGPL-2.1-or-later",)),
     ("LicenseRef-MIT-Bootstrap", ()),  # the library's index maps it to MIT: not here
     ("LicenseRef-Apache", ())],
)
def test_every_spdx_id_comes_from_license_expression(written: str,
                                                     ids: tuple[str, ...]) -> None:
    assert spdx.lookup(written) == ids


def test_the_spdx_list_is_the_library_s_not_a_hand_kept_one() -> None:
    """Hundreds of ids, as the SPDX list has (the hand table had 66)."""
    assert spdx.known_licence("MIT-Modern-Variant")
    assert spdx.known_licence("CERN-OHL-S-2.0")
    assert not spdx.known_licence("MIT-Licence-X")
    assert not spdx.known_licence("Classpath-exception-2.0")  # an exception, not a licence


@pytest.mark.parametrize(
    ("text", "shown"),
    [("MIT-Modern-Variant OR BSD-3-Clause-LBNL", "MIT-Modern-Variant OR BSD-3-Clause-LBNL"),
     ("apache-2.0 with llvm-exception", "Apache-2.0 WITH LLVM-exception"),
     ("gpl-2.0+ AND mit", "GPL-2.0-or-later AND MIT"),
     ("MIT AND LicenseRef-Foo", "MIT AND LicenseRef-Foo (unrecognised)")],
)
def test_expressions_are_parsed_by_the_library(text: str, shown: str) -> None:
    assert str(spdx.parse(text)) == shown


def test_policy_accepts_any_id_on_the_spdx_list() -> None:
    assert spdx.canonical_policy_id("BSD-3-Clause-LBNL") == "BSD-3-Clause-LBNL"
    assert spdx.canonical_policy_id("mit-modern-variant") == "MIT-Modern-Variant"
    assert spdx.canonical_policy_id("Apache-2.0 WITH LLVM-exception") == \
        "Apache-2.0 WITH LLVM-exception"
    decision = spdx.evaluate(spdx.parse("MIT-Modern-Variant"),
                             Policy(frozenset({"BSD-3-Clause-LBNL"})))
    assert (decision.status, decision.reason) == (
        NOT_ALLOWED, "MIT-Modern-Variant is not in the allow list")
