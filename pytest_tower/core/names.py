"""How a check is named: its key `stage::check` and its gates.toml table `[stage.check]`.

One place, so the report, history, baselines, xdist and every error message
agree on the spelling.
"""

from __future__ import annotations

SEP = "::"


def check_key(stage: object, check: object) -> str:
    """`stage::check`: the id of a check in reports, history and baselines."""
    return f"{stage}{SEP}{check}"


def table_label(check_id: str) -> str:
    """`[stage.check]`: where a check is configured, for messages that say what to fix."""
    return "[" + check_id.replace(SEP, ".") + "]"
