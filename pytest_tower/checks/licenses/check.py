"""Licence gate: every installed distribution's licence against allow/deny lists.

The licence is read from metadata in order of trust: `License-Expression`
(PEP 639, SPDX), then a short `License` field (not a pasted licence text),
then the `License ::` trove classifiers (several mean all of them). A name
not recognised is `unknown`, never a pass; an exception needs a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest_tower.checks.licenses.spdx as spdx
from pytest_tower.checks.distributions import (
    Distribution,
    canonical_name,
    python_of,
    read_environment,
)
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
)

CLASSIFIER_PREFIX = "License ::"
CATEGORIES = {"License :: OSI Approved", "License :: DFSG approved"}  # not licences
# A `License` field longer than this, or on several lines, is a licence text, not a name.
MAX_NAME_LENGTH = 100
PLACEHOLDERS = {"", "unknown", "none", "n/a"}


def run(ctx: CheckContext) -> Measurement:
    python = python_of(ctx)
    env = read_environment(ctx, python)
    policy = policy_of(ctx.options)
    custom = [i for i in (*(policy.allow or ()), *policy.deny) if i.startswith("LicenseRef-")]
    exceptions = {canonical_name(e["package"]): e for e in ctx.options["exceptions"]}
    counts = {"packages": len(env.distributions), "denied": 0, "unknown": 0, "excepted": 0}
    findings: list[Finding] = []
    notes: list[str] = []
    for dist in env.distributions:
        written, status, why = judge(dist, policy, custom)
        exception = exceptions.get(dist.key)
        if status == spdx.ALLOWED:
            if exception is not None:
                notes.append(f"unneeded exception: {dist.name} {dist.version} ({written}) is "
                             "allowed anyway")
            continue
        if exception is not None:
            counts["excepted"] += 1
            notes.append(f"{dist.name} {dist.version} ({written}): {status}, excepted: "
                         f"{exception['reason']}")
            continue
        counts["unknown" if status == spdx.UNKNOWN else "denied"] += 1
        findings.append(Finding(path=f"{dist.name} {dist.version}", code=status,
                                message=f"{written}: {why}"))
    installed = {d.key for d in env.distributions}
    for key, exception in exceptions.items():
        if key not in installed:
            notes.append(f"stale exception: {exception['package']} is not installed in "
                         f"{env.python}; remove it from `exceptions`")
    return Measurement(dict(counts), findings, tool=f"importlib.metadata of {env.python}",
                       notes=notes)


def judge(dist: Distribution, policy: spdx.Policy, custom: list[str]) -> tuple[str, str, str]:
    """(licence as written, status, why) for one distribution."""
    if dist.error:
        return "unreadable metadata", spdx.UNKNOWN, f"its metadata could not be read: {dist.error}"
    sources = licence_sources(dist)
    if not sources:
        return "no licence metadata", spdx.UNKNOWN, ("neither License-Expression, License "
                                                     "nor a License classifier")
    field_name, text = sources[0]
    written = f"{field_name} {text!r}"
    if field_name == "License-Expression":
        try:
            expr = spdx.parse(text, custom)
        except spdx.SpdxError as exc:
            return written, spdx.UNKNOWN, f"not a valid SPDX expression ({exc})"
    else:
        leaves = [_loose(t, custom) for _, t in sources]
        expr = leaves[0] if len(leaves) == 1 else spdx.Op("AND", tuple(leaves))
        if field_name == "Classifier":
            written = "Classifier " + " + ".join(repr(t) for _, t in sources)
    decision = spdx.evaluate(expr, policy)
    return written, decision.status, decision.reason


def licence_sources(dist: Distribution) -> list[tuple[str, str]]:
    """The most trusted licence metadata present: one expression, one name, or classifiers."""
    if dist.license_expression and dist.license_expression.strip():
        return [("License-Expression", dist.license_expression.strip())]
    text = (dist.license or "").strip()
    is_name = "\n" not in text and len(text) <= MAX_NAME_LENGTH
    classifiers = [c.split("::")[-1].strip() for c in dist.classifiers
                   if c.startswith(CLASSIFIER_PREFIX) and c.strip() not in CATEGORIES]
    if text.lower() not in PLACEHOLDERS and is_name and (_recognised(text) or not classifiers):
        return [("License", text)]
    if classifiers:
        return [("Classifier", c) for c in classifiers]
    if text.lower() not in PLACEHOLDERS:  # a licence text and nothing better
        return [("License", text.splitlines()[0][:MAX_NAME_LENGTH] + " …")]
    return []


def _recognised(text: str) -> bool:
    """Whether every licence named in `text` maps to SPDX ids."""
    try:
        stack: list[spdx.Expr] = [spdx.parse(text)]
    except spdx.SpdxError:
        return False
    while stack:
        expr = stack.pop()
        if isinstance(expr, spdx.Op):
            stack.extend(expr.args)
        elif not expr.ids:
            return False
    return True


def _loose(text: str, custom: list[str]) -> spdx.Expr:
    try:
        return spdx.parse(text, custom)
    except spdx.SpdxError:
        return spdx.Leaf(text, ())


def policy_of(options: Mapping[str, Any]) -> spdx.Policy:
    allow = [spdx.canonical_policy_id(a) for a in options["allow"]]
    deny = [spdx.canonical_policy_id(d) for d in options["deny"]]
    return spdx.Policy(frozenset(allow) if allow else None, frozenset(deny))


def validate(options: Mapping[str, Any]) -> None:
    if not options["allow"] and not options["deny"]:
        raise ValueError('give `allow` and/or `deny`, lists of SPDX ids such as ["MIT"]')
    policy = policy_of(options)  # raises ValueError naming an unknown or ambiguous id
    both = sorted((policy.allow or frozenset()) & policy.deny)
    if both:
        raise ValueError(f"{', '.join(both)} is both allowed and denied")
    seen: set[str] = set()
    for entry in options["exceptions"]:
        unknown = sorted(set(entry) - {"package", "reason"})
        if unknown:
            raise ValueError(f"exceptions: unknown key {unknown[0]!r} in {entry!r} "
                             "(expected package and reason)")
        package, reason = entry.get("package"), entry.get("reason")
        if not isinstance(package, str) or not package.strip():
            raise ValueError(f"exceptions: {entry!r} needs package = \"<distribution name>\"")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"exceptions: the exception for {package!r} needs a reason "
                             "(why this licence is acceptable here)")
        if canonical_name(package) in seen:
            raise ValueError(f"exceptions: {package!r} is listed twice")
        seen.add(canonical_name(package))


CHECK_TYPE = CheckType(
    name="licenses",
    run=run,
    help="Licences of every installed distribution against allow/deny lists of SPDX ids.",
    metrics=[
        MetricSpec("packages", help="distributions audited"),
        MetricSpec("denied", help="distributions whose licence is denied or not in `allow`"),
        MetricSpec("unknown", help="distributions with no licence metadata or one not "
                   "recognised"),
        MetricSpec("excepted", help="distributions that would fail but have an exception"),
    ],
    options={
        "allow": Option("str_list", "SPDX ids that may be used (others are denied)",
                        default=[]),
        "deny": Option("str_list", "SPDX ids that must not be used", default=[]),
        "exceptions": Option("table_list", 'per-package exceptions: { package = "x", '
                             'reason = "why" }', default=[]),
        "python": Option("str", "the interpreter of the environment to audit (default: "
                         "the one pytest runs in)", default=""),
    },
    default_conditions=["denied == 0", "unknown == 0"],
    implied_conditions=["packages >= 1"],
    default_timeout=60.0,
    validate=validate,
)
