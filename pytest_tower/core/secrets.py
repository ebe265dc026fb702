"""`{env:NAME}` secrets: the one pattern that names them and the one masking of their values.

Environments (command strategy), the generic `command` check and the security-testing
targets all read secrets this way; each value read is replaced by *** wherever it could
be shown (messages, logs, state, reports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pytest_tower.core.model import ToolError

MASK = "***"
SECRET = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in text by ***, longest first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def masked_error(error: ToolError, secrets: Iterable[str]) -> ToolError:
    """A copy of `error` with every secret masked: raise it `from None`, never chained
    to the error that saw the secrets."""
    values = list(secrets)
    return ToolError(mask(error.what, values), command=[mask(a, values) for a in error.command],
                     stderr=mask(error.stderr, values), fix=mask(error.fix, values))
