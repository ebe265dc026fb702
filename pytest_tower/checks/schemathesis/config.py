"""What a `tool = "schemathesis"` table may say, and the checks made when gates.toml is read.

Kept apart from check.py (which runs the tool) so the metrics and options read
as one list. Check names and failure codes are schemathesis 4.32's: a
condition on `failures[<key>]` must name one of them (or a key this run saw),
so a typo errors instead of reading 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pytest_tower.checks import target
from pytest_tower.checks import waivers as _waivers
from pytest_tower.core.model import MetricSpec, Option
from pytest_tower.core.suggest import did_you_mean

REQUIREMENTS = ("schemathesis>=4.32,<5",)
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance",
          "negative_data_rejection", "positive_data_acceptance", "missing_required_header",
          "unsupported_method", "allow_header_conformance", "use_after_free",
          "ensure_resource_availability", "ignored_auth", "object_level_authorization")
CODES = tuple([f"ST1{n:02d}" for n in range(1, 16)] + [f"ST20{n}" for n in range(1, 7)]
              + ["ST301", "ST302", "ST401", "ST402", "ST901"])
PHASES = ("examples", "coverage", "fuzzing", "stateful")

METRICS = [
    MetricSpec("operations", help="API operations selected for testing"),
    MetricSpec("tested", help="operations schemathesis tested"),
    MetricSpec("untested", help="selected operations never tested (skipped, or only errors)"),
    MetricSpec("failures", help="unique failures not waived; failures[not_a_server_error] or "
               "failures[ST103] counts one check or failure code", keyed=True, key_default=0),
    MetricSpec("server_errors", help="unique 5xx answers (check not_a_server_error), not waived"),
    MetricSpec("errors", help="errors that stopped a test (network errors, bad schema parts)"),
    MetricSpec("auth_rejected", help="operations that answered only 401/403: the credentials "
               "(headers) were missing or wrong, nothing behind them was tested"),
    MetricSpec("waived", help="failures waived by an active `ignore` entry"),
    MetricSpec("expired", help="`ignore` entries past their `until` date"),
    MetricSpec("test_cases", help="test cases generated and sent"),
]

OPTIONS: dict[str, Option] = {
    **target.OPTIONS,
    "schema": Option("str", "the OpenAPI document: a path on the target (\"/openapi.json\") "
                     "or a file relative to gates.toml", default="/openapi.json"),
    "checks": Option("str_list", "schemathesis checks to run (default: all), e.g. "
                     "[\"not_a_server_error\", \"status_code_conformance\"]", default=[]),
    "phases": Option("str_list", "test phases: examples, coverage, fuzzing, stateful "
                     "(default: all)", default=[]),
    "max_examples": Option("int", "most test cases per operation (default: schemathesis's)"),
    "include": Option("str_list", "operations to test, by name (\"POST /tasks\")", default=[]),
    "exclude": Option("str_list", "operations not to test, by name (\"DELETE /tasks/{id}\")",
                      default=[]),
    "workers": Option("int_or_auto", "concurrent workers (\"auto\" or a number)", default=1),
    "seed": Option("int", "random seed, for a reproducible run (default: a new one, noted)"),
    "config": Option("str", "a schemathesis.toml to use (relative to gates.toml); without it "
                     "none is read, so the gate's options are all that apply", default=""),
    "ignore": Option("table_list", "waivers: { id = \"ST103\" or a check name, operation = "
                     "\"POST /tasks\" (glob, optional), reason, until = 2027-03-31 }",
                     default=[]),
    "python": Option("str", "an interpreter that has schemathesis (default: pytest-tower's "
                     "own isolated venv under .tower/tools)", default=""),
}


def validate(options: Mapping[str, Any]) -> None:
    target.validate(options)
    schema = options["schema"]
    if not schema.strip():
        raise ValueError('schema is empty: give "/openapi.json" (a path on the target) or a '
                         "file such as \"openapi.yaml\"")
    if "://" in schema:
        raise ValueError(f"schema = {schema!r}: give the path on the target "
                         "(\"/openapi.json\") or a file in the project; the schema is only "
                         "read from the application under test")
    if not schema.startswith("/"):
        parts = PurePosixPath(schema).parts
        if ".." in parts:
            raise ValueError(f"schema = {schema!r} must be a file inside the project")
    _known("checks", options["checks"], CHECKS)
    _known("phases", options["phases"], PHASES)
    for key in ("include", "exclude"):
        for name in options[key]:
            method, _, path = name.partition(" ")
            if not method.isalpha() or not path.startswith("/"):
                raise ValueError(f"{key}: {name!r} is not an operation name such as "
                                 "\"POST /tasks\" (METHOD, a space, the path as in the schema)")
    if options["max_examples"] is not None and options["max_examples"] < 1:
        raise ValueError("max_examples must be 1 or more")
    if options["config"]:
        parts = PurePosixPath(options["config"]).parts
        if PurePosixPath(options["config"]).is_absolute() or ".." in parts:
            raise ValueError("config must be a file relative to gates.toml, inside the project")
    _waivers.validate(options["ignore"], scope_key="operation", example="ST103")
    known = set(CHECKS) | set(CODES)
    for entry in options["ignore"]:
        if entry["id"] not in known:
            raise ValueError(f"ignore: id {entry['id']!r} is neither a schemathesis check "
                             "(not_a_server_error, ...) nor a failure code (ST101, ...)")


def _known(key: str, values: list[str], known: tuple[str, ...]) -> None:
    for value in values:
        if value not in known:
            hint = did_you_mean(value, known)
            raise ValueError(f"{key}: {value!r} is not one of {', '.join(known)}"
                             + (f" (did you mean {hint!r}?)" if hint else ""))
    if len(set(values)) != len(values):
        raise ValueError(f"{key}: a name is listed twice")
