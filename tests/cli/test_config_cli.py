"""`sagetrim config check` as a user runs it: the settings in effect, or every mistake with its line and field."""

from __future__ import annotations

import json

import pytest


def test_check_prints_the_rules_settings_in_effect(cli, tmp_path):
    # given a file that tunes one rule and leaves another's section empty
    config = tmp_path / "sagetrim.yaml"
    config.write_text("regions: [us-east-1]\nrules:\n  idle-notebook:\n    max_running_hours: 48\n"
                      "  idle-endpoint:\nnotify:\n")
    # when it is checked
    result = cli("config", "check", "--config", str(config))
    # then the tuned rule shows all its settings, coerced to their types, and the empty one none
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["rules"] == {"idle-notebook": {"max_running_hours": 48.0, "expected_use_hours_per_month": 220.0}}
    assert doc["regions"] == ["us-east-1"] and doc["notify"] == {}


def test_the_example_file_checks_clean(cli, tmp_path):
    example = tmp_path / "sagetrim.yaml"
    assert cli("config", "init", "--out", str(example)).code == 0
    result = cli("config", "check", "--config", str(example))
    assert result.code == 0, result.err
    assert json.loads(result.out)["rules"]["idle-endpoint"] == {"hours": 24, "delete_after_days": 7,
                                                              "lookback_days": 14}


@pytest.mark.parametrize(("text", "expected"), [
    ("rules:\n  idle-endpoint:\n    hourz: 12\n",
     "line 3: rules.idle-endpoint.hourz: unknown field (check its spelling)"),
    ("regions: []\nrules:\n  idle-endpoints:\n    hours: 12\n",
     "line 4: rules.idle-endpoints: unknown field (check its spelling)"),
    ("rules:\n  idle-endpoint:\n    hours: many\n", "line 3: rules.idle-endpoint.hours: Input should be a valid"),
    ("rules:\n  idle-endpoint: 5\n", "line 2: rules.idle-endpoint: Input should be a valid dictionary"),
    ("rules:\n  idle-notebook:\n    max_running_hours: -5\n",
     "rules.idle-notebook: max_running_hours must be at least 1"),
])
def test_a_mistake_in_a_rule_section_names_its_line_and_field_and_exits_2(cli, tmp_path, text, expected):
    # given a settings file with one mistake under `rules:`
    config = tmp_path / "sagetrim.yaml"
    config.write_text(text)
    # when it is checked
    result = cli("config", "check", "--config", str(config))
    # then the error names the line and the field, with no traceback
    assert result.code == 2
    assert expected in " ".join(result.err.split()), result.err
    assert "Traceback" not in result.err
