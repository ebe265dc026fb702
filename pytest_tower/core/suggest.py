"""Did-you-mean hints for names a user mistyped. Pure."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to `word`, if any is close enough to be a typo."""
    choices = list(choices)
    folded = {c.lower().replace("_", "-"): c for c in choices}
    key = word.lower().replace("_", "-")
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None
