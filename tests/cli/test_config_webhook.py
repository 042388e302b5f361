"""A webhook URL in the settings: https only, and its credentials never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


def test_a_plain_http_webhook_off_loopback_is_refused_with_status_2(cli, tmp_path: Path) -> None:
    settings = tmp_path / "sagetrim.yaml"
    settings.write_text("notify:\n  webhook_url: http://hooks.example.com/services/T/B/secret\n")
    result = cli("config", "check", "--config", str(settings))
    assert result.code == 2
    assert "line 2: notify.webhook_url: a webhook URL starts with https://" in result.err
    assert "secret" not in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("scheme_host", ["https://alice:pa55@hooks.example.com", "http://alice:pa55@127.0.0.1:8080"])
def test_credentials_in_a_webhook_url_are_not_shown(cli, tmp_path: Path, scheme_host: str) -> None:
    settings = tmp_path / "sagetrim.yaml"
    settings.write_text(f"notify:\n  webhook_url: {scheme_host}/services/T/B/X\n")
    result = cli("config", "check", "--config", str(settings))
    assert result.code == 0, result.err
    assert "pa55" not in result.out and "alice" not in result.out
    assert scheme_host.replace("alice:pa55@", "") + "/services/T/B/X" in result.out
