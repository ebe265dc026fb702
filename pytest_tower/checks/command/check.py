"""Any command as a gate: `npm ci`, `npm run build`, a benchmark script.

Its evidence is what it did, never what it printed: its exit code (one of
`ok_codes`, else an error), how long it took, the sizes of the files it wrote
(`outputs`: every glob must match, every match must be written by this run —
a build that did nothing must not pass on yesterday's dist/), and the numbers
of the JSON `metrics_file` it wrote. How it runs (argv or shell, cwd, env with
masked `{env:NAME}` secrets) is checks/invoke.py, shared with junit and sarif.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tower.checks import invoke
from pytest_tower.checks.command import outputs
from pytest_tower.core.model import (
    BYTES,
    SECONDS,
    CheckContext,
    CheckType,
    Measurement,
    MetricSpec,
    Option,
)
from pytest_tower.core.names import table_label


def run(ctx: CheckContext) -> Measurement:
    where = table_label(ctx.check_id)
    ran = invoke.run_command(ctx, ok_codes=ctx.options["ok_codes"], what="run")
    metrics: dict[str, float] = {"exit_code": ran.run.returncode,
                                 "duration": round(ran.run.duration, 3)}
    if ctx.options["outputs"]:
        metrics.update(outputs.sizes(ctx.root, ctx.options["outputs"], ran, where))
    if ctx.options["metrics_file"]:
        metrics.update(outputs.read_metrics_file(ctx.root, ctx.options["metrics_file"], ran,
                                                 where))
    measurement = Measurement(metrics, tool=invoke.label(ctx.options["run"], ran))
    # every key the run produced: a condition on another one (a typo) errors, listing these
    for name in ("size", "gzip_size", "value"):
        keys = [k[len(name) + 1:-1] for k in metrics if k.startswith(f"{name}[")]
        measurement.known_keys[name] = keys
    ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
    log = ctx.artifacts_dir / "command.log"
    log.write_text(ran.mask(f"$ {' '.join(ran.run.argv)}\n{ran.run.stdout}{ran.run.stderr}"),
                   encoding="utf-8")
    measurement.artifacts["log"] = str(log)
    return measurement


def validate(options: Mapping[str, Any]) -> None:
    invoke.validate(options, ("outputs", "metrics_file"))
    for key in ("conditions", "warn"):
        for expr in options.get(key) or ():
            text = str(expr).lstrip()
            if text.startswith(("files", "size", "gzip_size")) and not options["outputs"]:
                raise ValueError(f"condition {expr!r} measures output files: list them in "
                                 'outputs = ["dist/**/*.js"]')
            if text.startswith("value[") and not options["metrics_file"]:
                raise ValueError(f"condition {expr!r} reads a metrics file: set metrics_file "
                                 '= "bench.json" (a JSON object the command writes)')


CHECK_TYPE = CheckType(
    name="command",
    run=run,
    help="Any command (npm ci, npm run build, a benchmark): its exit code, duration, the "
    "sizes of the files it wrote and the numbers of a JSON metrics file it wrote.",
    metrics=[
        MetricSpec("exit_code", help="the command's exit code (one of ok_codes)"),
        MetricSpec("duration", SECONDS, help="how long the command ran"),
        MetricSpec("files", help="files the `outputs` globs matched (each glob must match "
                   "one, each written by this run)"),
        MetricSpec("size", BYTES, help="bytes of all `outputs`; size[dist/app.js] one file "
                   "(path relative to gates.toml)", keyed=True),
        MetricSpec("gzip_size", BYTES, help="bytes of the outputs gzipped (level 9); "
                   "gzip_size[dist/app.js] one file", keyed=True),
        MetricSpec("value", help="value[name] is a number of `metrics_file` (nested keys "
                   "joined with dots: value[bundle.kb])", keyed=True),
    ],
    options={
        **invoke.OPTIONS,
        "ok_codes": invoke.ok_codes_option([0]),
        "outputs": Option("str_list", "globs of files the command writes, relative to "
                          "gates.toml (size metrics); each must match files written by "
                          "this run", default=[]),
        "metrics_file": Option("str", "a JSON object of name -> number the command writes "
                               "(value[name] metrics), relative to gates.toml", default=""),
    },
    default_conditions=["exit_code == 0"],
    default_timeout=600.0,
    validate=validate,
)
