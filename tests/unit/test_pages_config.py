"""The `pages` table, checked when gates.toml is read (before any browser starts)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.checks import builtin_check_types
from pytest_tower.checks.pages import config
from pytest_tower.core.config import load_pipeline
from pytest_tower.core.errors import ConfigError


def _options(**values: Any) -> dict[str, Any]:
    found = {k: copy.deepcopy(o.default) for k, o in config.OPTIONS.items()}
    return {**found, "base_url": "http://127.0.0.1:8000", "pages": ["/"], **values}


@pytest.mark.parametrize(("values", "words"), [
    ({"pages": []}, "pages is empty"),
    ({"pages": ["tasks"]}, "must be a path on the target starting with one \"/\""),
    ({"pages": ["http://elsewhere.test/"]}, "must be a path on the target"),
    ({"pages": ["//elsewhere.test/x"]}, "must be a path on the target"),
    ({"pages": ["/a b"]}, "percent-encoded"),
    ({"pages": ["/x[1]"]}, "percent-encoded"),
    ({"pages": ["/", "/"]}, "listed twice"),
    ({"runs": 0}, "runs must be 1 to 20"),
    ({"runs": 21}, "runs must be 1 to 20"),
    ({"viewport": "1280*720"}, "WIDTHxHEIGHT"),
    ({"viewport": "20x20"}, "100 to 10000 pixels"),
    ({"page_timeout": 0.0}, "page_timeout must be more than 0"),
    ({"login": "login.py", "storage_state": "state.json"}, "not both"),
    ({"login": "../login.py"}, "inside the project"),
    ({"login": "/etc/login.py"}, "inside the project"),
    ({"login": "login.js"}, "must be a .py file"),
    ({"storage_state": "state.txt"}, "must be a .json file"),
    ({"axe_disable": ["region", "region"]}, "listed twice"),
    ({"axe_tags": ["wcag 2a"]}, "one with a space"),
    ({"axe": False}, "state your own `conditions`"),
    ({"axe": False, "conditions": ["a11y[serious] == 0"]}, "needs axe-core"),
    ({"axe": False, "conditions": ["page_errors == 0"], "warn": ["a11y_rule[region] == 0"]},
     "needs axe-core"),
    ({"axe": False, "conditions": ["page_errors == 0"], "axe_tags": ["wcag2a"]},
     "nothing to configure"),
    ({"axe_disable": ["region"], "warn": ["a11y_rule[region] == 0"]},
     "turns the rule 'region' off"),
    ({"base_url": ""}, "name the application"),
    ({"base_url": "ftp://host"}, "http:// or https://"),
    ({"headers": {"Bad Name": "x"}}, "not an HTTP header name"),
])
def test_table_mistakes(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace("[", r"\[")):
        config.validate(_options(**values))


def test_a_sound_table_passes() -> None:
    config.validate(_options(pages=["/", "/tasks?done=1"], viewport="800x600",
                             login="ui/login.py", axe_tags=["wcag2a"]))
    config.validate(_options(axe=False, conditions=["console_errors == 0"]))


def test_viewport_reads_width_and_height() -> None:
    assert config.viewport(" 1280x720 ") == {"width": 1280, "height": 720}


def _load(tmp_path: Path, text: str) -> Any:
    (tmp_path / "gates.toml").write_text(text)
    return load_pipeline(tmp_path / "gates.toml", builtin_check_types())


def test_a_pages_table_picks_the_type_by_its_name_or_by_tool(tmp_path: Path) -> None:
    pipeline = _load(tmp_path, '[ui.pages]\nbase_url = "http://127.0.0.1:1"\npages = ["/"]\n'
                     '[ui.budget]\ntool = "pages"\nbase_url = "http://127.0.0.1:1"\n'
                     'pages = ["/"]\nconditions = ["lcp[/] <= baseline * 1.2"]\n')
    first, second = pipeline.stages[0].checks
    assert first.check_type.name == second.check_type.name == "pages"
    assert [c.expr for c in first.conditions] == [
        "console_errors == 0", "page_errors == 0", "failed_requests == 0",
        "a11y[critical] == 0", "a11y[serious] == 0"]
    (condition,) = second.conditions
    assert (condition.metric, condition.key, condition.relative) == ("lcp", "/", ("*", 1.2))


def test_a_page_key_with_a_query_parses_and_a_time_takes_seconds(tmp_path: Path) -> None:
    pipeline = _load(tmp_path, '[ui.pages]\nbase_url = "http://127.0.0.1:1"\n'
                     'pages = ["/tasks?done=1"]\n'
                     'conditions = ["load_time[/tasks?done=1] < 2s", "transfer_size < 1MB"]\n')
    load_time, size = pipeline.stages[0].checks[0].conditions
    assert (load_time.key, load_time.threshold) == ("/tasks?done=1", 2000.0)
    assert size.threshold == 1_000_000


def test_a_mistake_is_a_config_error_naming_the_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ui\.pages.*pages is empty"):
        _load(tmp_path, '[ui.pages]\nbase_url = "http://127.0.0.1:1"\npages = []\n')
    with pytest.raises(ConfigError, match="one of 'cold', 'warm'"):
        _load(tmp_path, '[ui.pages]\nbase_url = "http://127.0.0.1:1"\npages = ["/"]\n'
                        'cache = "hot"\n')
