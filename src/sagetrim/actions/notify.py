"""Messages a person can act on: which resources, why, what they cost, what to do, and where to click.

One message covers a list of findings. It goes to an SNS topic (plain text, e-mail friendly) and/or to a
Slack-compatible incoming webhook (``text`` fallback plus Block Kit ``blocks``).
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from sagetrim.actions.common import error_text
from sagetrim.errors import ActionError
from sagetrim.optout import EXCLUDE_KEY, EXCLUDE_VALUE, TAG_TEXT
from sagetrim.rules.model import Action
from sagetrim.safetext import one_line
from sagetrim.urls import webhook_target

if TYPE_CHECKING:
    from sagetrim.rules.model import Finding

__all__ = [
    "NotifySettings",
    "console_url",
    "post_webhook",
    "publish_sns",
    "render_subject",
    "render_text",
    "slack_payload",
]

SUBJECT_MAX = 100  # SNS rejects longer subjects
_SNS_MAX_BYTES = 256 * 1024
_TEXT_MAX_FINDINGS = 200
_SLACK_MAX_FINDINGS = 45  # Slack takes at most 50 blocks per message
_SLACK_SECTION_MAX = 3000

RECOMMENDATION = {
    Action.DELETE_ENDPOINT: "delete the endpoint; `sagetrim act --apply` backs it up first and "
                            "`sagetrim restore {name}` recreates it",
    Action.STOP_NOTEBOOK: "stop the notebook instance (its storage and notebooks are kept)",
    Action.TAG: "review it; sagetrim tags it sagetrim:finding so its owner can find it",
    Action.NOTIFY: "review it with its owner",
}

_CONSOLE_PAGES = {"endpoint": "endpoints", "notebook-instance": "notebook-instances"}


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go; either or both.

    Args:
        sns_topic_arn: an SNS topic to publish to.
        webhook_url: a Slack-compatible incoming webhook.
        timeout_s: how long to wait for the webhook.
    """

    sns_topic_arn: str | None = None
    webhook_url: str | None = None
    timeout_s: float = 10.0

    @property
    def configured(self) -> bool:
        """Whether there is anywhere to send to."""
        return bool(self.sns_topic_arn or self.webhook_url)


def _console_host(region: str) -> str:
    if region.startswith("cn-"):
        return f"https://{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "https://console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def console_url(finding: Finding) -> str:
    """The AWS console page of the finding's resource (the SageMaker home page for kinds without one)."""
    region = finding.region
    url = f"{_console_host(region)}/sagemaker/home?region={region}"
    page = _CONSOLE_PAGES.get(finding.kind)
    return f"{url}#/{page}/{urllib.parse.quote(finding.name)}" if page else url


def _recommendation(finding: Finding) -> str:
    given = finding.details.get("recommendation")
    if isinstance(given, str) and given:
        return given
    return RECOMMENDATION[finding.action].format(name=finding.name)


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.monthly_savings_usd, f.account, f.region, f.name))


def _total(findings: list[Finding]) -> float:
    return sum(f.monthly_savings_usd for f in findings)


def _resources(n: int) -> str:
    return f"{n} SageMaker resource{'s' if n != 1 else ''}"


def render_subject(findings: list[Finding]) -> str:
    """A subject line of at most 100 ASCII characters."""
    subject = f"sagetrim: {_resources(len(findings))} to review, {_money(_total(findings))} a month"
    subject = subject.encode("ascii", "replace").decode()
    return subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 3] + "..."


def _headline(findings: list[Finding]) -> str:
    return (f"sagetrim found {_resources(len(findings))} that could save {_money(_total(findings))} a month "
            f"in total.")


def render_text(findings: list[Finding]) -> str:
    """The plain-text message: one paragraph per resource, the most expensive first, and the total."""
    ordered = _ordered(findings)
    lines = [_headline(findings), ""]
    for i, f in enumerate(ordered[:_TEXT_MAX_FINDINGS], 1):
        lines += [
            f"{i}. {f.kind} {f.name} (account {f.account}, {f.region}): {_money(f.monthly_savings_usd)} a month",
            f"   Why: {f.message}",
            f"   Recommended: {_recommendation(f)}",
            f"   Console: {console_url(f)}",
            "",
        ]
    if len(ordered) > _TEXT_MAX_FINDINGS:
        lines += [f"... and {len(ordered) - _TEXT_MAX_FINDINGS} more; `sagetrim findings` lists them all.", ""]
    lines += [f"Total: {_money(_total(findings))} a month.",
              f"To keep a resource out of sagetrim's findings and actions, tag it {TAG_TEXT}."]
    return "\n".join(lines)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(findings: list[Finding]) -> dict[str, Any]:
    """A Slack-compatible webhook payload: ``text`` for notifications and clients without blocks, and
    ``blocks`` with one section per resource (the most expensive first)."""
    ordered = _ordered(findings)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": render_subject(findings)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(_headline(findings))}},
    ]
    for f in ordered[:_SLACK_MAX_FINDINGS]:
        text = (f"*<{console_url(f)}|{_slack_escape(f.kind)} {_slack_escape(f.name)}>* "
                f"({_slack_escape(f.region)}, account {_slack_escape(f.account)}): "
                f"*{_money(f.monthly_savings_usd)} a month*\n"
                f"{_slack_escape(f.message)}\n_Recommended:_ {_slack_escape(_recommendation(f))}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SLACK_SECTION_MAX]}})
    footer = f"Total {_money(_total(findings))} a month."
    if len(ordered) > _SLACK_MAX_FINDINGS:
        footer = f"... and {len(ordered) - _SLACK_MAX_FINDINGS} more (`sagetrim findings` lists them). " + footer
    footer += f" Tag a resource `{EXCLUDE_KEY}` = `{EXCLUDE_VALUE}` to keep it out."
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": f"{_headline(findings)} {footer}", "blocks": blocks}


def publish_sns(sns: Any, topic_arn: str, findings: list[Finding]) -> str:
    """Publish the message for ``findings`` to an SNS topic.

    Args:
        sns: a boto3 SNS client of the topic's region.
        topic_arn: the topic.
        findings: what to tell.

    Returns:
        The SNS message id.

    Raises:
        ActionError: SNS refused the message.
    """
    body = render_text(findings)
    if len(body.encode()) > _SNS_MAX_BYTES:
        body = body.encode()[:_SNS_MAX_BYTES - 64].decode("utf-8", "ignore") + "\n... (message truncated)"
    try:
        response = sns.publish(TopicArn=topic_arn, Subject=render_subject(findings), Message=body)
    except (ClientError, BotoCoreError) as exc:
        raise ActionError(f"could not publish to SNS topic {topic_arn}: {error_text(exc)}") from exc
    return str(response["MessageId"])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: a 3xx reaches the caller as the HTTPError it is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_REASON_MAX = 200


def post_webhook(url: str, findings: list[Finding], timeout: float = 10.0) -> None:
    """POST the Slack-compatible message for ``findings`` to a webhook.

    The message goes over https only (http only to a loopback address), to the URL given and nowhere
    else: a redirect is a failure. Credentials written into the URL are sent as HTTP Basic authentication
    and appear in no message; neither does the URL's path (a Slack webhook's secret).

    Args:
        url: the webhook URL.
        findings: what to tell.
        timeout: seconds to wait for the answer.

    Raises:
        ActionError: a bad URL, no answer, or a status other than 2xx; its message names the webhook's
            host and gives a short, single-line reason.
    """
    try:
        target = webhook_target(url)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    data = json.dumps(slack_payload(findings)).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "sagetrim"}
    if target.username is not None or target.password is not None:
        userinfo = f"{target.username or ''}:{target.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(userinfo).decode("ascii")
    request = urllib.request.Request(target.url, data=data, method="POST", headers=headers)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = one_line(exc.read(_REASON_MAX * 4).decode("utf-8", "replace"), _REASON_MAX)
        if 300 <= exc.code < 400:
            detail = "a redirect, not followed" + (f": {detail}" if detail else "")
        raise ActionError(f"webhook at {target.origin} answered HTTP {exc.code}{': ' + detail if detail else ''}") \
            from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = one_line(str(getattr(exc, "reason", exc)) or type(exc).__name__, _REASON_MAX)
        raise ActionError(f"could not reach the webhook at {target.origin}: {reason}") from None
