"""Which findings `act` takes up: an enabled action as it is; a disabled one becomes a notice while notify is on,
so turning a change off never silences what was found."""

from __future__ import annotations

from sagetrim.config import Settings
from sagetrim.pipeline.act import acted_on
from sagetrim.rules.model import Action, Finding, Severity


def _finding(name: str, action: Action) -> Finding:
    return Finding(rule="idle-variant", account="123456789012", region="us-east-1", kind="endpoint", name=name,
                   arn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}", severity=Severity.MEDIUM,
                   monthly_savings_usd=84.0, evidence={"variant": "canary"}, message="variant canary served nothing",
                   action=action)


FINDINGS = [_finding("a", Action.REMOVE_VARIANT), _finding("b", Action.DELETE_ENDPOINT), _finding("c", Action.TAG)]


def test_given_the_default_settings_then_remove_variant_is_a_notice_and_the_rest_act() -> None:
    assert "remove-variant" not in Settings().actions.enabled
    taken = acted_on(FINDINGS, Settings().actions.enabled)
    assert [(f.name, f.action) for f in taken] == [("a", Action.NOTIFY), ("b", Action.DELETE_ENDPOINT),
                                                   ("c", Action.TAG)]
    assert taken[0].id == FINDINGS[0].id and taken[0].evidence == FINDINGS[0].evidence


def test_given_remove_variant_enabled_then_it_is_taken_as_it_is() -> None:
    taken = acted_on(FINDINGS, ["remove-variant", "notify"])
    assert [f.action for f in taken] == [Action.REMOVE_VARIANT, Action.NOTIFY, Action.NOTIFY]


def test_given_notify_off_then_disabled_actions_are_dropped() -> None:
    assert [f.name for f in acted_on(FINDINGS, ["tag"])] == ["c"]
