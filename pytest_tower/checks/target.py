"""The running application a security-testing check attacks, and the headers it sends.

Why one module: the API fuzzer and the DAST scanner must agree on what they
may touch. The target is only ever the check's `environment` (the URL the
controller deployed and published) or its `base_url` (an app the gate did not
deploy), never both and never a guess; it must answer a TCP connect before the
tool starts, so "could not reach it" is an error, never an empty scan.

Headers come from the check's `headers` table, where `{env:NAME}` reads a
variable of pytest's environment (invoke.fill). The values reach the tool
through an environment variable read by its small launcher (`HEADERS_ENV`),
never its argv (other users of the machine can read argv), and every value
read is masked as *** in what the check shows and in the report files it keeps.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_tower.core.model import CheckContext, Measurement, Option, ToolError
from pytest_tower.core.names import table_label
from pytest_tower.core.runner import ToolRun
from pytest_tower.core.secrets import MASK, masked_error

HEADERS_ENV = "TOWER_TOOL_HEADERS"  # JSON list of "Name: value" strings, read by the launcher

OPTIONS: dict[str, Option] = {
    "base_url": Option("str", "URL of an application the gate did not deploy (instead of "
                       "`environment`): http(s)://host[:port][/prefix]", default=""),
    "headers": Option("table", "HTTP headers sent with every request; {env:NAME} reads a "
                      "variable (a token), masked as *** in all output", default={}),
}


def validate(options: Mapping[str, Any]) -> None:
    """Exactly one target; a URL with a scheme and a host; header names that are names."""
    url, environment = options["base_url"], options.get("environment")
    if url and environment:
        raise ValueError(f"give either `environment` ({environment!r}) or `base_url` "
                         f"({url!r}), not both: each names the application to attack")
    if not url and not environment:
        raise ValueError('name the application to attack: environment = "staging" (one the '
                         'gate deploys) or base_url = "http://127.0.0.1:8000"')
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url = {url!r} must be an http:// or https:// URL with a "
                             "host, such as \"http://127.0.0.1:8000\"")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url = {url!r}: no query or fragment; give the root the "
                             "application is served from")
    for name in options["headers"]:
        if not name or any(c in name for c in " :\r\n\t"):
            raise ValueError(f"headers: {name!r} is not an HTTP header name")


def base_url(ctx: CheckContext) -> str:
    """The URL the tool may attack, without a trailing slash."""
    url = ctx.options["base_url"]
    env = getattr(ctx, "environment", None)  # deployments.EnvView
    if not url and env is not None:
        url = env.url
        if not url:
            raise ToolError(f"environment {env.name!r} published no URL to attack",
                            fix="give the environment a health/url, or use base_url")
    if not url:
        raise ToolError("no target: the check has neither an environment nor base_url",
                        fix=f"set environment or base_url in {table_label(ctx.check_id)}")
    return str(url).rstrip("/")


def reachable(url: str, fix: str) -> None:
    """A TCP connect to the target's host and port, else ToolError (refused, no route...)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=5).close()
    except OSError as exc:
        raise ToolError(f"the target {url} cannot be reached: {exc}", fix=fix) from None


def headers(ctx: CheckContext) -> tuple[list[str], set[str]]:
    """(["Name: value", ...], the secret values read from {env:NAME})."""
    from pytest_tower.checks.invoke import fill

    secrets: set[str] = set()
    where = table_label(ctx.check_id)
    lines = [f"{name}: {fill(value, secrets, where)}"
             for name, value in ctx.options["headers"].items()]
    return lines, secrets


def tool_env(lines: list[str]) -> dict[str, str | None]:
    """The environment the launcher reads the headers from."""
    return {HEADERS_ENV: json.dumps(lines)}


def install_hint(requirement: str) -> str:
    """How a security tool gets installed: its own venv, made by the check."""
    return (f"pytest-tower makes its own venv with '{requirement}' under .tower/tools (or "
            "$TOWER_TOOLS); or set `python` to an interpreter that has it")


def launcher(module: str, entry: str, prog: str) -> str:
    """A `python -c` launcher for a tool's CLI that appends the `headers` from HEADERS_ENV
    as `-H` arguments: a secret never sits in the tool's argv."""
    return ("import json, os, sys\n"
            f"from {module} import {entry}\n"
            f"headers = json.loads(os.environ.pop({HEADERS_ENV!r}, '[]'))\n"
            f"sys.argv = [{prog!r}, *sys.argv[1:], *[a for h in headers for a in ('-H', h)]]\n"
            f"sys.exit({entry}())\n")


def run_against(ctx: CheckContext,
                body: Callable[[CheckContext, str, list[str], set[str]], Measurement]
                ) -> Measurement:
    """body(ctx, url, header_lines, secrets) against the check's target, once it answers
    a TCP connect; a ToolError leaves masked, and never chained to the error that saw
    the secrets."""
    url = base_url(ctx)
    lines, secrets = headers(ctx)
    try:
        reachable(url, fix="start the application (or deploy the environment) before this "
                           f"check, or fix `base_url` in {table_label(ctx.check_id)}")
        return body(ctx, url, lines, secrets)
    except ToolError as exc:
        failure = exc
    raise masked_error(failure, secrets) from None


def mask_files(folder: Path, secrets: set[str]) -> None:
    """Mask every secret in every file the tool left under `folder` (kept as artifacts):
    byte for byte, so a binary store stays readable; also as a JSON string holds it."""
    if not secrets:
        return
    forms = sorted({f.encode() for s in secrets for f in (s, json.dumps(s)[1:-1]) if f},
                   key=len, reverse=True)
    for path in [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]:
        data = path.read_bytes()
        masked = data
        for form in forms:
            masked = masked.replace(form, MASK.encode())
        if masked != data:
            path.write_bytes(masked)


def run_in(ctx: CheckContext, folder: Path, argv: list[str], env: Mapping[str, str | None],
           tool: str, fix: str, progress: re.Pattern[str]) -> ToolRun:
    """Run the tool in its own artifacts folder (whatever it leaves in its working
    directory stays there, never in the project), within the check's time; a stdout
    line matching `progress` (its group 1) is shown as the check's live progress."""
    import time

    from pytest_tower.core.runner import run_tool

    def on_line(line: str) -> None:
        found = progress.search(line)
        if found:
            ctx.progress(f"{tool}: {' '.join(found.group(1).split())}")

    left = ctx.deadline - time.monotonic() if ctx.deadline else ctx.timeout
    return run_tool(argv, cwd=folder, timeout=left, timeout_label=f"{ctx.timeout:g}s",
                    ok_codes=range(256), tool=tool, fix=fix, env=env, on_line=on_line)
