"""Loose licence spellings -> the SPDX ids they may mean. Pure data and one key function.

Why hand-kept: packages name licences in prose ("MIT License", "Apache 2.0", a
trove classifier leaf, "BSD" for a family) and no library maps that prose to
SPDX ids; the SPDX ids themselves come from license-expression (spdx.py).
"""

from __future__ import annotations

import re

_LGPL = ("LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later",
         "LGPL-3.0-only", "LGPL-3.0-or-later")
_GPL = ("GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later")
# Common spellings (names, trove classifier leaves) -> the SPDX ids they may mean.
ALIASES: dict[str, tuple[str, ...]] = {
    "MIT License": ("MIT",), "Expat": ("MIT",), "MIT No Attribution License (MIT-0)": ("MIT-0",),
    "BSD": ("BSD-2-Clause", "BSD-3-Clause"), "BSD License": ("BSD-2-Clause", "BSD-3-Clause"),
    "BSD 2-Clause": ("BSD-2-Clause",), "Simplified BSD": ("BSD-2-Clause",),
    "FreeBSD": ("BSD-2-Clause",), "BSD 3-Clause": ("BSD-3-Clause",),
    "New BSD": ("BSD-3-Clause",), "Modified BSD": ("BSD-3-Clause",),
    "Revised BSD": ("BSD-3-Clause",), "3-clause BSD": ("BSD-3-Clause",),
    "2-clause BSD": ("BSD-2-Clause",), "Apache": ("Apache-2.0",), "Apache 2.0": ("Apache-2.0",),
    "Apache Software License": ("Apache-2.0",), "ASL 2.0": ("Apache-2.0",),
    "Apache License, Version 2.0": ("Apache-2.0",), "Apache 1.1": ("Apache-1.1",),
    "PSF": ("PSF-2.0",), "PSFL": ("PSF-2.0",), "Python Software Foundation License": ("PSF-2.0",),
    "Python": ("Python-2.0",), "MPL 2.0": ("MPL-2.0",), "Mozilla Public License 2.0 (MPL 2.0)":
    ("MPL-2.0",), "MPL 1.1": ("MPL-1.1",), "ISC License (ISCL)": ("ISC",), "ISCL": ("ISC",),
    "GPL": _GPL, "GPLv2": ("GPL-2.0-only",), "GPLv2+": ("GPL-2.0-or-later",),
    "GPLv3": ("GPL-3.0-only",), "GPLv3+": ("GPL-3.0-or-later",),
    "GNU General Public License (GPL)": _GPL,
    "GNU General Public License v2 (GPLv2)": ("GPL-2.0-only",),
    "GNU General Public License v2 or later (GPLv2+)": ("GPL-2.0-or-later",),
    "GNU General Public License v3 (GPLv3)": ("GPL-3.0-only",),
    "GNU General Public License v3 or later (GPLv3+)": ("GPL-3.0-or-later",),
    "LGPL": _LGPL, "GNU Library or Lesser General Public License (LGPL)": _LGPL,
    "GNU Lesser General Public License v2 (LGPLv2)": ("LGPL-2.0-only", "LGPL-2.1-only"),
    "GNU Lesser General Public License v2 or later (LGPLv2+)": ("LGPL-2.0-or-later",),
    "GNU Lesser General Public License v3 (LGPLv3)": ("LGPL-3.0-only",),
    "GNU Lesser General Public License v3 or later (LGPLv3+)": ("LGPL-3.0-or-later",),
    "LGPLv2.1": ("LGPL-2.1-only",), "LGPLv2.1+": ("LGPL-2.1-or-later",),
    "LGPLv3": ("LGPL-3.0-only",), "LGPLv3+": ("LGPL-3.0-or-later",),
    "GNU Affero General Public License v3": ("AGPL-3.0-only",),
    "GNU Affero General Public License v3 or later (AGPLv3+)": ("AGPL-3.0-or-later",),
    "AGPLv3": ("AGPL-3.0-only",), "AGPLv3+": ("AGPL-3.0-or-later",),
    "The Unlicense (Unlicense)": ("Unlicense",),
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": ("CC0-1.0",),
    "Boost Software License 1.0 (BSL-1.0)": ("BSL-1.0",), "zlib/libpng License": ("Zlib",),
    "Eclipse Public License 1.0 (EPL-1.0)": ("EPL-1.0",),
    "Eclipse Public License 2.0 (EPL-2.0)": ("EPL-2.0",),
    "Universal Permissive License (UPL)": ("UPL-1.0",),
    "Historical Permission Notice and Disclaimer (HPND)": ("HPND",),
    "European Union Public Licence 1.2 (EUPL 1.2)": ("EUPL-1.2",),
    "Zope Public License": ("ZPL-2.0", "ZPL-2.1"),
}

_NOISE = {"the", "license", "licence", "licensed", "software", "version", "only", "under"}

def loose_key(name: str) -> str:
    """A spelling-insensitive key: 'Apache License, Version 2.0' -> 'apache 2'."""
    text = name.lower().strip()
    bare = re.sub(r"\([^)]*\)", " ", text)
    text = bare if bare.strip() else text.strip("()")
    text = re.sub(r"\bor[\s-]+later\b", "+", text)
    text = re.sub(r"[-_,/:;]+", " ", text)
    text = re.sub(r"(?<=[a-z])v?(?=\d)", " ", text)  # gplv3, apache2 -> gpl 3, apache 2
    text = re.sub(r"\bv(?=\d)", "", text)
    text = re.sub(r"(\d)\.0(?![\d.])", r"\1", text)  # 2.0 -> 2
    words = [w for w in text.split() if w not in _NOISE]
    return " ".join(words).replace(" +", "+")
