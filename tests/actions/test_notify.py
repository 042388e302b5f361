"""Notifications: one message a person can act on, via SNS and a Slack-compatible webhook."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from sagetrim.actions.notify import (
    console_url,
    post_webhook,
    publish_sns,
    render_subject,
    render_text,
    slack_payload,
)
from sagetrim.errors import ActionError
from sagetrim.rules.model import Action, Finding, Severity
from sagetrim.sim import SimServer

if TYPE_CHECKING:
    from collections.abc import Iterator


def _finding(kind: str, name: str, region: str, savings: float, action: Action, message: str) -> Finding:
    return Finding(rule="idle-endpoint" if kind == "endpoint" else "idle-notebook", account="111122223333",
                   region=region, kind=kind, name=name, arn=f"arn:aws:sagemaker:{region}:111122223333:{kind}/{name}",
                   severity=Severity.HIGH, monthly_savings_usd=savings, evidence={}, message=message, action=action)


FINDINGS = [
    _finding("notebook-instance", "ds-alice", "eu-west-1", 120.5, Action.STOP_NOTEBOOK,
             "InService for 9 days without a stop"),
    _finding("endpoint", "churn-prod", "us-east-1", 1234.0, Action.DELETE_ENDPOINT,
             "no invocations in the last 72 h on any variant (2 x ml.m5.xlarge)"),
]


def test_given_resources_when_linked_then_console_urls_open_their_pages() -> None:
    assert console_url(FINDINGS[1]) == ("https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1"
                                        "#/endpoints/churn-prod")
    assert console_url(FINDINGS[0]) == ("https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1"
                                        "#/notebook-instances/ds-alice")


def test_given_findings_when_rendered_then_each_resource_has_why_cost_action_and_link() -> None:
    text = render_text(FINDINGS)

    assert text.startswith("sagetrim found 2 SageMaker resources that could save $1,354.50 a month in total.")
    assert text.index("churn-prod") < text.index("ds-alice"), "the most expensive first"
    assert "1. endpoint churn-prod (account 111122223333, us-east-1): $1,234.00 a month" in text
    assert "Why: no invocations in the last 72 h on any variant (2 x ml.m5.xlarge)" in text
    assert "Recommended: delete the endpoint; `sagetrim act --apply` backs it up first and " \
           "`sagetrim restore churn-prod` recreates it" in text
    assert "Recommended: stop the notebook instance" in text
    assert "#/notebook-instances/ds-alice" in text
    assert "Total: $1,354.50 a month." in text


def test_given_many_findings_when_a_subject_is_made_then_it_fits_sns() -> None:
    many = [_finding("endpoint", f"e{i}", "us-east-1", 1e6, Action.NOTIFY, "idle") for i in range(10_000)]
    subject = render_subject(many)
    assert len(subject) <= 100
    assert subject.isascii()
    assert len(slack_payload(many)["blocks"]) <= 50


def test_given_a_topic_with_a_queue_when_published_then_the_queue_gets_the_message(clean_sim: SimServer) -> None:
    sns, sqs = clean_sim.client("sns"), clean_sim.client("sqs")
    topic = sns.create_topic(Name="sagetrim")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    message_id = publish_sns(sns, topic, FINDINGS)

    [received] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received["Body"])
    assert envelope["MessageId"] == message_id
    assert envelope["Subject"] == "sagetrim: 2 SageMaker resources to review, $1,354.50 a month"
    assert envelope["Message"] == render_text(FINDINGS)


def test_given_a_missing_topic_when_published_then_action_error(clean_sim: SimServer) -> None:
    with pytest.raises(ActionError, match="could not publish to SNS topic .*NotFound"):
        publish_sns(clean_sim.client("sns"), "arn:aws:sns:us-east-1:123456789012:nope", FINDINGS)


class Hook:
    """A webhook on loopback that records what it receives and answers with a chosen status."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.received.append({"path": self.path, "type": self.headers["Content-Type"],
                                      "body": json.loads(self.rfile.read(length))})
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok" if hook.status == 200 else b"invalid_payload")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_given_a_webhook_when_posted_then_it_gets_a_slack_payload(hook: Hook) -> None:
    post_webhook(hook.url, FINDINGS, timeout=5)

    [request] = hook.received
    assert request["path"] == "/services/T000/B000/secret"
    assert request["type"] == "application/json"
    payload = request["body"]
    assert payload["text"].startswith("sagetrim found 2 SageMaker resources that could save $1,354.50 a month")
    blocks = payload["blocks"]
    assert blocks[0]["type"] == "header"
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert len(sections) == 2
    assert sections[0].startswith("*<https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1"
                                  "#/endpoints/churn-prod|endpoint churn-prod>* (us-east-1, account 111122223333): "
                                  "*$1,234.00 a month*")
    assert "_Recommended:_ stop the notebook instance" in sections[1]
    assert "Total $1,354.50 a month" in blocks[-1]["elements"][0]["text"]


def test_given_a_webhook_that_fails_when_posted_then_action_error_without_the_secret(hook: Hook) -> None:
    hook.status = 500
    with pytest.raises(ActionError, match="answered HTTP 500: invalid_payload") as caught:
        post_webhook(hook.url, FINDINGS, timeout=5)
    assert "secret" not in str(caught.value)


def test_given_no_server_when_posted_then_action_error() -> None:
    with pytest.raises(ActionError, match="could not reach the webhook at http://127.0.0.1:9"):
        post_webhook("http://127.0.0.1:9/hook", FINDINGS, timeout=2)
    with pytest.raises(ActionError, match="https://"):
        post_webhook("ftp://example.com/hook", FINDINGS)


class Redirector:
    """A loopback server that answers every POST with a redirect to ``location`` and records what it gets."""

    def __init__(self, status: int, location: str) -> None:
        self.hits: list[dict[str, str | None]] = []
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                redirector.hits.append({"path": self.path, "authorization": self.headers["Authorization"]})
                self.send_response(status)
                self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(b"moved \x1b[31mhere\x1b[0m\r\nfake: line")

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("where", ["ftp://example.com/x", "http://127.0.0.1:9/elsewhere", "/same-host"])
def test_given_a_webhook_that_redirects_when_posted_then_it_fails_with_the_status_and_goes_nowhere(
    hook: Hook, status: int, where: str
) -> None:
    # given a webhook that answers with a redirect (to another scheme, host, or path on the same server)
    location = f"{hook.url.rsplit('/services', 1)[0]}/services/T000/B000/secret" if where == "/same-host" else where
    redirector = Redirector(status, location)
    try:
        # when the message is posted
        with pytest.raises(ActionError) as caught:
            post_webhook(f"{redirector.url}/services/T000/B000/secret", FINDINGS, timeout=5)
        # then it is a failure that names the status, and the redirect was not followed
        assert f"answered HTTP {status}: a redirect, not followed" in str(caught.value)
        assert len(redirector.hits) == 1
        assert hook.received == []
        # and the reason is one short line without the server's control characters
        assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value) and "\r" not in str(caught.value)
        assert "secret" not in str(caught.value)
    finally:
        redirector.close()


def test_given_a_url_with_credentials_when_posted_then_they_go_as_basic_auth_and_appear_nowhere(hook: Hook) -> None:
    # given a webhook URL with a user name and password written into it
    port = hook.server.server_port
    url = f"http://alice:s3cr%40t@127.0.0.1:{port}/services/T000/B000/secret"
    hook.status = 500
    # when the message is posted to a failing receiver
    with pytest.raises(ActionError) as caught:
        post_webhook(url, FINDINGS, timeout=5)
    # then the receiver got the message, and the error names the host without the credentials
    assert len(hook.received) == 1
    assert str(caught.value).startswith(f"webhook at http://127.0.0.1:{port} answered HTTP 500")
    assert "alice" not in str(caught.value) and "s3cr" not in str(caught.value)


def test_given_credentials_in_the_url_when_posted_then_the_receiver_gets_them_as_basic_auth() -> None:
    receiver = Redirector(204, "")
    try:
        post_webhook(f"http://alice:s3cr%40t@{receiver.url.removeprefix('http://')}/hook", FINDINGS, timeout=5)
        [hit] = receiver.hits
        assert hit["path"] == "/hook"
        assert hit["authorization"] == "Basic " + base64.b64encode(b"alice:s3cr@t").decode()
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/services/T/B/secret",  # plain http off loopback
        "http://127.evil.example/services/T/B/secret",  # only looks like loopback
        "http://localhost.evil.example/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "https:///no-host",
    ],
)
def test_given_a_url_that_is_not_https_when_posted_then_it_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(ActionError, match="https://") as caught:
        post_webhook(url, FINDINGS, timeout=1)
    assert "secret" not in str(caught.value)


def test_given_an_unreachable_url_with_credentials_when_posted_then_the_error_names_no_credentials() -> None:
    with pytest.raises(ActionError, match=r"^could not reach the webhook at http://127\.0\.0\.1:9: ") as caught:
        post_webhook("http://bob:hunter2@127.0.0.1:9/hook", FINDINGS, timeout=2)
    assert "hunter2" not in str(caught.value) and "bob" not in str(caught.value)


def test_given_a_long_hostile_answer_when_posted_then_the_reason_is_short_and_on_one_line() -> None:
    class Noisy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(400)
            self.end_headers()
            self.wfile.write(b"\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 [red]x[/red]\n" + b"A" * 5000)

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Noisy)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with pytest.raises(ActionError) as caught:
            post_webhook(f"http://127.0.0.1:{server.server_port}/hook", FINDINGS, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert message.isprintable()
    assert "[red]x[/red]" in message, "the answer's text is kept, only its control characters go"
    assert len(message) < 300
    assert message.endswith("…")
