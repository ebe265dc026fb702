"""The `command` strategy: the user's own deploy, health, rollback and stop commands.

Every step is fail-closed through runner.run_tool (exit code, timeout).
A health check only shows that *something* answers at the url; `release_check`
(a URL path or a command whose answer must name the release, `{release}` by
default) shows that it is the release just deployed, or rolled back to. Without
it a deployment and a rollback are recorded as not confirmed, and say so.
Secrets come from environment variables (`{env:NAME}`); every value read that
way is masked as *** in every message, log line, state entry and result, and
no exception that saw the raw command is ever chained to one we raise.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_tower.core.env_spec import EnvironmentSpec
from pytest_tower.core.model import ToolError
from pytest_tower.core.runner import run_tool, tail
from pytest_tower.core.secrets import SECRET, mask
from pytest_tower.environments.base import Environment, artifact_facts, elapsed
from pytest_tower.environments.model import (
    DeployError,
    Deployment,
    EnvError,
)
from pytest_tower.environments.procs import fetch, free_port, interrupts_raise, probe, wait_healthy
from pytest_tower.environments.state import DEPLOYED, FAILED, actor, now, run_label


class _StepFailed(Exception):
    """A command step failed; the message is already masked."""


class CommandEnvironment(Environment):
    def __init__(self, spec: EnvironmentSpec, root: Path, state_dir: Path) -> None:
        super().__init__(spec, root, state_dir)
        self._secrets: set[str] = set()
        self._values: dict[str, str] = {}
        self._serving_now: dict[str, Any] | None = None  # what the monitor expects to see

    def mask(self, text: str) -> str:
        return mask(text, self._secrets)

    # -- deploy -------------------------------------------------------------
    def deploy(self, artifact: Path) -> Deployment:
        artifact = Path(artifact).resolve()
        if not artifact.is_file():
            raise DeployError(f"{self.name}: cannot deploy {artifact}: no such file")
        with self.lock(), interrupts_raise():
            began = time.monotonic()
            release, number = self.state.new_release()
            log = self.folder / "releases" / str(number) / "deploy.log"
            data = self.state.load()
            previous = self.state.entry(data.get("current"), data)
            port = free_port()
            self._values = {"{artifact}": str(artifact), "{release}": release,
                            "{previous_release}": previous["release"] if previous else "",
                            "{port}": str(port), "{env}": self.name}
            entry: dict[str, Any] = {"release": release, "status": DEPLOYED, "started": now(),
                                     **artifact_facts(artifact), "log_path": str(log),
                                     "pid": None, "port": port, "url": "",
                                     "confirmed": bool(self.options["release_check"]),
                                     "by": actor(), "run": run_label()}
            message = ""
            try:
                entry["url"] = self.mask(self._fill(self.options["url"]))
                self._step("deploy", self.options["deploy"], log)
                self._wait_ready(entry)
            except BaseException as exc:
                self.state.record({**entry, "status": FAILED,
                                   "reason": self.mask(_first(exc))}, current=False)
                if not isinstance(exc, Exception):
                    raise
                message = self.mask(f"{self.name}: deploy of {release} failed: {exc}")
            if message:
                message += "\n" + self._recover(release, log)
            else:
                self.state.record(entry, current=True)
                self.timings["deploy"] = elapsed(began)
                self._watch()
                return self._deployment(entry)
        raise DeployError(self.mask(message))

    def _recover(self, failed: str, log: Path) -> str:
        target = self.state.entry(self.state.load().get("verified"))
        if self.options["on_failure"] == "keep":
            return f'on_failure = "keep": {self.name} was NOT rolled back.'
        if target is None or not self.options["rollback"]:
            why = "no release was verified yet" if target is None else "no rollback command"
            return (f"{self.name} could NOT be rolled back ({why}): it may be serving the "
                    f"failed release {failed}.")
        try:
            self._roll_to(target, failed, log)
        except (_StepFailed, EnvError) as exc:
            return f"ROLLBACK FAILED: {exc}\n{self.name} may be serving the failed release."
        return f"{self.name} is back on the verified release {target['release']}."

    # -- rollback -----------------------------------------------------------
    def _roll_back(self, current: dict[str, Any], target: dict[str, Any], reason: str) -> bool:
        if not self.options["rollback"]:
            raise self._cannot_roll_back(current, reason, "no rollback command is configured")
        self._values.setdefault("{env}", self.name)  # a rollback on demand deployed nothing
        try:
            self._roll_to(target, current["release"], Path(current["log_path"]))
        except (_StepFailed, EnvError) as exc:
            raise self._cannot_roll_back(current, reason, str(exc)) from None
        return bool(self.options["release_check"])

    def _roll_to(self, target: dict[str, Any], failed: str, log: Path) -> None:
        self._values.update({"{previous_release}": target["release"], "{release}": failed,
                             "{artifact}": target["artifact"]})
        if target.get("port"):
            self._values["{port}"] = str(target["port"])
        self._step("rollback", self.options["rollback"], log)
        self._wait_ready(target)
        self.state.set_current(target["release"])
        self._watch()

    # -- stop, health -------------------------------------------------------
    def stop(self) -> None:
        super().stop()
        if self.options["stop"] and self._values:
            try:
                self._step("stop", self.options["stop"], self.folder / "stop.log")
            except _StepFailed as exc:
                message = str(exc)
            else:
                return
            raise EnvError(f"{self.name}: the stop command failed: {message}")

    def _wait_ready(self, entry: dict[str, Any]) -> None:
        """Wait until the target is healthy and, with release_check, names `entry`."""
        def ready() -> tuple[bool, str]:
            ok, why = self._health()
            if ok and self.options["release_check"]:
                ok, why = self._confirm(entry)
                why = why if ok else f"healthy, but {why}"
            return ok, why

        ok, why = wait_healthy(ready, self.options["health_timeout"])
        if not ok:
            raise _StepFailed(self.mask(f"health check: {why}"))
        self._serving_now = entry

    def _probe(self) -> tuple[bool, str]:
        """The monitor's probe: healthy, and still the release this run put there."""
        ok, why = self._health()
        if ok and self.options["release_check"] and self._serving_now is not None:
            return self._confirm(self._serving_now)
        return ok, why

    def _not_serving(self, entry: dict[str, Any]) -> str:
        if not self.options["release_check"] or not self._values:
            return ""
        ok, why = self._confirm(entry)
        return "" if ok else self.mask(why)

    def _confirm(self, entry: dict[str, Any]) -> tuple[bool, str]:
        """Whether release_check's answer names entry's release (release_expect)."""
        check = self.options["release_check"]
        expected = self._expected(entry)
        if not expected:
            return False, (f"release_expect {self.options['release_expect']!r} is empty for "
                           f"{entry['release']} (a wheel's version comes from its file name)")
        if isinstance(check, str):
            where = check
            try:
                url = self._fill(self.options["url"]).rstrip("/") + check
            except EnvError as exc:
                return False, str(exc)
            host = urlsplit(url).hostname or ""
            status, said = fetch(url, loopback=host in ("127.0.0.1", "localhost", "::1"))
            if status != 200:
                return False, self.mask(f"release_check {check} answered "
                                        f"{f'HTTP {status}' if status else said}")
        else:
            where = " ".join(check)
            try:
                said = self._step("release_check", check, None, {"{expected}": expected})
            except (_StepFailed, EnvError) as exc:
                return False, self.mask(str(exc))
        if names(said, expected):
            return True, f"release_check names {expected}"
        shown = " ".join(said.split())[:80] or "nothing"
        return False, self.mask(f"release_check {where} does not name {expected!r} "
                                f"(it answered {shown!r}): another release is serving")

    def _expected(self, entry: dict[str, Any]) -> str:
        values = {"{release}": str(entry.get("release", "")),
                  "{version}": str(entry.get("version", "")),
                  "{sha256}": str(entry.get("sha256", ""))}
        text = self.options["release_expect"]
        for key, value in values.items():
            text = text.replace(key, value)
        return text.strip() if all(v for k, v in values.items()
                                   if k in self.options["release_expect"]) else ""

    def _health(self) -> tuple[bool, str]:
        health = self.options["health"]
        try:
            if isinstance(health, str):
                url = self._fill(self.options["url"]).rstrip("/") + health
                host = urlsplit(url).hostname or ""
                ok, why = probe(url, loopback=host in ("127.0.0.1", "localhost", "::1"))
                return ok, self.mask(why)
            self._step("health", health, None)
            return True, "exit 0"
        except (_StepFailed, EnvError) as exc:
            return False, self.mask(str(exc))

    # -- commands -----------------------------------------------------------
    def _step(self, step: str, template: list[str], log: Path | None,
              extra: dict[str, str] | None = None) -> str:
        """Run one step with placeholders filled; its stdout. A failure becomes a masked
        _StepFailed."""
        argv = [self._fill(a, extra) for a in template]
        env = {k: self._fill(v) for k, v in self.options["env"].items()}
        failure = ""
        try:
            run = run_tool(argv, cwd=self.root, timeout=self.options["timeout"], tool=step,
                           env=env, fix=f"see the {step} command in [environments.{self.name}]")
        except ToolError as exc:
            failure = self.mask(f"{step} step failed: {exc}")
        if failure:
            self._log(log, failure)
            raise _StepFailed(failure)
        self._log(log, f"$ {self.mask(' '.join(argv))}\n{self.mask(run.stdout)}"
                  f"{self.mask(run.stderr)}")
        return run.stdout

    def _fill(self, text: str, extra: dict[str, str] | None = None) -> str:
        def secret(match: re.Match[str]) -> str:
            import os

            value = os.environ.get(match.group(1))
            if value is None:
                raise EnvError(f"{self.name}: environment variable {match.group(1)} is not "
                               "set (it is used as {env:" + match.group(1) + "})")
            self._secrets.add(value)
            return value

        text = SECRET.sub(secret, text)
        for key, value in {**self._values, **(extra or {})}.items():
            text = text.replace(key, value)
        return text

    def _log(self, log: Path | None, text: str) -> None:
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(self.mask(text).rstrip() + "\n")


def names(said: str, expected: str) -> bool:
    """Whether `said` holds `expected` as a token of its own: r2 is not in r21 or 0.r2."""
    pattern = rf"(?<![\w.-]){re.escape(expected)}(?![\w-]|\.\w)"
    return re.search(pattern, said) is not None


def _first(exc: BaseException) -> str:
    lines = tail(str(exc), 1)
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"
