"""SBOM gate: a CycloneDX JSON SBOM of the audited environment, by cyclonedx-py.

The generator writes to a temporary file that is moved over `output` only
once it parses as CycloneDX, so `output` is never half-written or garbage.
The SBOM is then compared with the environment itself (importlib.metadata
of the same python): a distribution it leaves out, or lists at another
version, is `missing` — an incomplete SBOM is worse than none. An SBOM
with no component, or an environment that lists no distribution to compare
with, measured nothing; an `output` that is a folder is an error.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest_tower.checks.pins as _pins
from pytest_tower.checks.distributions import canonical_name, python_of, read_environment
from pytest_tower.core.fs import output_target
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label

INSTALL = _pins.install_hint("cyclonedx-bom") + " (pytest-tower installs it), or set executable"


def run(ctx: CheckContext) -> Measurement:
    python = python_of(ctx)
    output = ctx.root / ctx.options["output"]
    where = f"`output` in {table_label(ctx.check_id)}"
    if output.is_dir():
        raise ToolError(f"output {ctx.options['output']!r} is a folder: the SBOM cannot be "
                        "written there", fix=f"set {where} to a file name, e.g. sbom.cdx.json")
    try:  # a symlink is followed; a device, FIFO or socket is never renamed over
        output = output_target(output)
    except OSError as exc:
        raise ToolError(f"output {ctx.options['output']!r}: {exc.strerror or exc}",
                        fix=f"set {where} to a regular file path") from None
    if not _sbom_or_empty(output):
        raise ToolError(f"refusing to overwrite {ctx.options['output']!r}: pytest-tower did "
                        "not write it (it is not a CycloneDX SBOM); choose another path or "
                        "delete it", fix=f"fix {where}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolError(f"cannot make the folder for {ctx.options['output']!r}: {exc}",
                        fix=f"fix {where}") from None
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    argv = [ctx.options["executable"], "environment", "--output-format", "JSON",
            "--spec-version", ctx.options["spec_version"], "--output-file", str(tmp)]
    argv += ["--validate"] if ctx.options["validate"] else ["--no-validate"]
    try:
        result = ctx.run([*argv, python], tool="cyclonedx-py", fix=INSTALL)
        bom = _read(tmp, result.argv, result.stderr)
        try:
            os.replace(tmp, output)
        except OSError as exc:
            raise ToolError(f"cannot write the SBOM to {ctx.options['output']!r}: {exc}",
                            fix=f"fix {where}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    components = _components(bom)
    env = read_environment(ctx, python)
    if not env.distributions:
        raise ToolError(f"{env.python} lists no installed distribution: the SBOM cannot be "
                        "checked against the environment", fix="set `python` to the "
                        "interpreter of the environment the SBOM describes")
    findings = []
    for dist in env.distributions:
        listed = components.get(dist.key)
        if listed is None:
            findings.append(Finding(path=f"{dist.name} {dist.version}", code="missing",
                                    message=f"installed in {env.python} but not in the SBOM"))
        elif dist.version not in listed:
            findings.append(Finding(
                path=f"{dist.name} {dist.version}", code="missing",
                message=f"the SBOM lists it at {', '.join(sorted(listed))} instead"))
    metrics = {"components": float(sum(len(v) for v in components.values())),
               "missing": float(len(findings))}
    generator, notes = _generator(bom), []
    if generator == "cyclonedx-py":  # the document does not say which version wrote it
        notes.append("the SBOM does not name the cyclonedx-py version that wrote it: its "
                     "version was not checked (its components were, against the environment)")
    else:
        generator = _pins.check("cyclonedx-py", "cyclonedx-bom", generator,
                                command=result.argv[:1], executable=result.argv[0])
    return Measurement(metrics, findings, tool=generator, notes=notes,
                       artifacts={"sbom": ctx.options["output"]})


def _sbom_or_empty(path: Path) -> bool:
    """A missing or empty file, or a CycloneDX JSON document (an earlier SBOM): ours to replace."""
    try:
        data = path.read_bytes() if path.is_file() else b""
    except OSError:
        return True  # the write says what is wrong
    if not data.strip():
        return True
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX"


def _read(path: Path, argv: list[str], stderr: str) -> dict[str, Any]:
    """The generator's file, if it is a CycloneDX JSON document; ToolError if not."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolError(f"cyclonedx-py exited 0 but wrote no readable SBOM ({exc})",
                        command=argv, stderr=stderr, fix=INSTALL) from None
    try:
        bom = json.loads(text)
    except json.JSONDecodeError as exc:
        bom, why = None, f"not JSON ({exc}): {text[:120]!r}"
    else:
        why = "not a CycloneDX document (bomFormat, specVersion, components)"
    if (isinstance(bom, dict) and bom.get("bomFormat") == "CycloneDX"
            and isinstance(bom.get("specVersion"), str)
            and isinstance(bom.get("components", []), list)
            and all(isinstance(c, dict) and isinstance(c.get("name"), str)
                    for c in bom.get("components", []))):
        return bom
    raise ToolError(f"the SBOM cyclonedx-py wrote is {why}; the output file was not updated",
                    command=argv, stderr=stderr, fix=INSTALL)


def _components(bom: dict[str, Any]) -> dict[str, set[str]]:
    """Canonical name -> versions listed, nested components included."""
    found: dict[str, set[str]] = {}
    stack = list(bom.get("components", []))
    while stack:
        component = stack.pop()
        found.setdefault(canonical_name(component["name"]), set()).add(
            str(component.get("version", "")))
        stack.extend(c for c in component.get("components", []) if isinstance(c, dict))
    return found


def _generator(bom: dict[str, Any]) -> str:
    tools = (bom.get("metadata") or {}).get("tools") or {}
    listed = tools.get("components", []) if isinstance(tools, dict) else tools
    for tool in listed if isinstance(listed, list) else []:
        if isinstance(tool, dict) and tool.get("name") == "cyclonedx-py":
            return f"cyclonedx-py {tool.get('version', '')}".strip()
    return "cyclonedx-py"


def validate(options: Mapping[str, Any]) -> None:
    output = PurePosixPath(options["output"])
    if not options["output"].strip() or output.is_absolute() or ".." in output.parts:
        raise ValueError(f"output: {options['output']!r} must be a file path relative to "
                         "gates.toml, inside the project")


CHECK_TYPE = CheckType(
    name="sbom",
    run=run,
    install=INSTALL,
    help="Write a CycloneDX JSON SBOM of the environment (cyclonedx-py) and check it is "
    "complete.",
    metrics=[
        MetricSpec("components", help="components the SBOM lists"),
        MetricSpec("missing", help="installed distributions the SBOM leaves out or lists at "
                   "another version"),
    ],
    options={
        "output": Option("str", "where to write the SBOM, relative to gates.toml",
                         default="sbom.cdx.json"),
        "python": Option("str", "the interpreter of the environment to describe (default: "
                         "the one pytest runs in)", default=""),
        "spec_version": Option("str", "CycloneDX specification version", default="1.6",
                               choices=("1.4", "1.5", "1.6")),
        "validate": Option("bool", "also let cyclonedx-py validate against the schema "
                           "(several seconds)", default=False),
        "executable": Option("str", "the cyclonedx-py binary to run", default="cyclonedx-py"),
    },
    default_conditions=["missing == 0"],
    implied_conditions=["components >= 1"],
    default_timeout=120.0,
    validate=validate,
)
