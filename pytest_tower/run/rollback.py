"""`pytest --tower-rollback ENV[=RELEASE]` and `pytest --tower-status [ENV]`: no gate runs.

The rollback on demand is recorded three ways: the environment's state.json
(the strategies do that), one `{"event": "rollback"}` line in the history,
and a JSON report (at the usual report path, else .tower/rollback-report.json)
whose verdict is "rolled-back" or "error", never "passed": no gate ran.
Exit 0 only when the rollback was done and the health check after it passed;
a refusal (nothing touched) or a failure exits 1, a bad gates.toml or an
unknown environment exits 4, each with a message and no traceback.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.core.env_config import ENV_STAGE, EnvEntry, read_environments
from pytest_tower.core.suggest import did_you_mean

if TYPE_CHECKING:
    import pytest

    from pytest_tower.report.schema import ReportDict, RollbackDict

USAGE = 4
DEFAULT_REPORT = Path(".tower") / "rollback-report.json"


class _Refused(Exception):
    """Exit USAGE with this message (gates.toml or the command line is wrong)."""


def on_demand_main(config: pytest.Config) -> int:
    """Dispatched from pytest_cmdline_main; with --tower a usage error (as --tower-show)."""
    flag = "--tower-rollback" if config.getoption("tower_rollback") is not None else (
        "--tower-status")
    if config.getoption("tower"):
        import contextlib

        import pytest

        from pytest_tower.report.json_report import write_config_error
        from pytest_tower.run.start import TARGETS_KEY

        message = (f"{flag} runs no gate; run it on its own (`pytest {flag} ...`), and the "
                   "gate as a separate `pytest --tower` step")
        targets = config.stash.get(TARGETS_KEY, None)
        if targets is not None and targets.report is not None:
            with contextlib.suppress(OSError):
                write_config_error(targets.report, message, summary="usage error")
        raise pytest.UsageError(f"pytest-tower: {message}")
    return rollback_main(config) if flag == "--tower-rollback" else status_main(config)


def rollback_main(config: pytest.Config) -> int:
    from pytest_tower.environments.on_demand import roll_back_on_demand
    from pytest_tower.environments.state import actor
    from pytest_tower.run.start import gates_path

    gates = gates_path(config)
    name, _, release = str(config.getoption("tower_rollback")).partition("=")
    reason = config.getoption("tower_reason") or ""
    try:
        envs = _environments(gates)
        entry = _named(envs, name, gates)
        if not reason.strip():
            raise _Refused("--tower-rollback needs --tower-reason TEXT: why it is rolled back "
                           "(recorded with who and when)")
    except _Refused as exc:
        sys.stderr.write(f"ERROR: pytest-tower: {exc}\n")
        return USAGE
    outcome = roll_back_on_demand(entry.spec, gates.parent, release or None, reason, actor())
    record: RollbackDict = outcome.to_dict()  # type: ignore[assignment]
    problems = _record(config, gates, record)
    stream = sys.stdout if outcome.done else sys.stderr
    word = "" if outcome.done else ("REFUSED: " if outcome.refused else "ERROR: ")
    stream.write(f"pytest-tower: {word}{outcome.message}\n")
    for problem in problems:
        sys.stderr.write(f"ERROR: pytest-tower: {problem}\n")
    return 0 if outcome.done and not problems else 1


def status_main(config: pytest.Config) -> int:
    from pytest_tower.environments.status import render_status
    from pytest_tower.run.start import gates_path

    gates = gates_path(config)
    wanted = str(config.getoption("tower_status"))
    try:
        envs = _environments(gates)
        shown = [_named(envs, wanted, gates)] if wanted else list(envs.values())
    except _Refused as exc:
        sys.stderr.write(f"ERROR: pytest-tower: {exc}\n")
        return USAGE
    sys.stdout.write(render_status(shown, gates.parent / ".tower" / "envs"))
    return 0


def _environments(gates: Path) -> dict[str, EnvEntry]:
    try:
        data = tomllib.loads(gates.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _Refused(f"cannot read {gates}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _Refused(f"{gates}: not valid TOML: {exc}") from None

    def error(problem: str, table: str, key: str | None = None, *, expected: str = "",
              suggestion: str | None = None, **_: Any) -> Exception:
        where = f"[{table}]" + (f" {key}" if key else "")
        return _Refused(f"{gates}: {where}: {problem}" + (f"; expected {expected}" if expected
                        else "") + (f" (did you mean {suggestion!r}?)" if suggestion else ""))

    return read_environments(data.get(ENV_STAGE, {}), error)


def _named(envs: dict[str, EnvEntry], name: str, gates: Path) -> EnvEntry:
    if name in envs:
        return envs[name]
    close = did_you_mean(name, envs)
    raise _Refused(f"{name!r} is not an environment of {gates}"
                   + (f"; did you mean {close!r}?" if close else "")
                   + f" (its environments: {', '.join(envs) or 'none, no [environments.NAME]'})")


def _record(config: pytest.Config, gates: Path, record: RollbackDict) -> list[str]:
    """History line and JSON report; what could not be written (the exit is then 1)."""
    from pytest_tower.core.fs import write_json_atomic
    from pytest_tower.history.store import DEFAULT_HISTORY, append_event
    from pytest_tower.run.stubs import tower_setting

    problems = []
    named = tower_setting(gates, "history")
    history = gates.parent / (named if isinstance(named, str) and named else DEFAULT_HISTORY)
    try:
        append_event(history, {"event": "rollback", **record})
    except OSError as exc:
        problems.append(f"the rollback was not recorded in the history {history}: {exc}")
    cli = config.getoption("tower_report")
    setting = tower_setting(gates, "report")
    path = (config.invocation_params.dir / cli if cli else gates.parent / setting
            if isinstance(setting, str) and setting else gates.parent / DEFAULT_REPORT)
    report: ReportDict = {
        "schema": 1, "verdict": "rolled-back" if record["done"] else "error",
        "summary": f"TOWER ROLLBACK {record['env']}: {record['message']}",
        "complete": True, "not_run": [], "started": record["at"], "config": str(gates),
        "checks": [], "environments": [], "rollback": record}
    try:
        write_json_atomic(path, report)
    except OSError as exc:
        problems.append(f"the rollback report could not be written to {path}: {exc}")
    return problems
