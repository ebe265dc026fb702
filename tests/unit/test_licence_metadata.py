"""Which metadata field a distribution's licence is read from, and the verdict on it."""

from __future__ import annotations

import pytest

import pytest_tower.checks.licenses.spdx as spdx
from pytest_tower.checks.distributions import Distribution
from pytest_tower.checks.licenses.check import judge

POLICY = spdx.Policy(frozenset({"MIT", "Apache-2.0"}), frozenset({"GPL-3.0-only"}))
MIT_CLASSIFIER = "License :: OSI Approved :: MIT License"
GPL_CLASSIFIER = "License :: OSI Approved :: GNU General Public License v3 (GPLv3)"


@pytest.mark.parametrize(
    ("fields", "written", "status"),
    [
        # License-Expression wins over everything else.
        ({"license_expression": "MIT", "license": "GPLv3", "classifiers": (GPL_CLASSIFIER,)},
         "License-Expression 'MIT'", spdx.ALLOWED),
        ({"license_expression": "MIT AND (", "license": "MIT"},
         "License-Expression 'MIT AND ('", spdx.UNKNOWN),
        # A short License name, even an expression, comes next.
        ({"license": "Apache 2.0", "classifiers": (GPL_CLASSIFIER,)},
         "License 'Apache 2.0'", spdx.ALLOWED),
        ({"license": "MIT or GPLv3"}, "License 'MIT or GPLv3'", spdx.ALLOWED),
        # A License that is licence text, or not recognised, gives way to classifiers.
        ({"license": "Copyright (c) Me\nPermission is hereby granted",
          "classifiers": (MIT_CLASSIFIER,)}, "Classifier 'MIT License'", spdx.ALLOWED),
        ({"license": "Dual", "classifiers": (MIT_CLASSIFIER,)},
         "Classifier 'MIT License'", spdx.ALLOWED),
        # Several classifiers: every one must be allowed.
        ({"classifiers": (MIT_CLASSIFIER, GPL_CLASSIFIER)},
         "Classifier 'MIT License' + 'GNU General Public License v3 (GPLv3)'", spdx.DENIED),
        ({"classifiers": ("License :: OSI Approved", "Programming Language :: Python")},
         "no licence metadata", spdx.UNKNOWN),
        ({"classifiers": ("License :: Other/Proprietary License",)},
         "Classifier 'Other/Proprietary License'", spdx.UNKNOWN),
        ({"license": "UNKNOWN"}, "no licence metadata", spdx.UNKNOWN),
        ({"license": "Copyright (c) Me\nAll rights reserved"}, "License 'Copyright (c) Me …'",
         spdx.UNKNOWN),
        ({"error": "FileNotFoundError('METADATA')"}, "unreadable metadata", spdx.UNKNOWN),
    ],
)
def test_licence_is_read_from_the_most_trusted_field(fields, written, status) -> None:
    dist = Distribution("pkg", "1.0", **fields)
    got_written, got_status, _why = judge(dist, POLICY, [])
    assert (got_written, got_status) == (written, status)
