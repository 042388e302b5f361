"""`sagetrim sim serve` makes the account slow, throttled, failing or denied, exactly as AWS answers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Iterator

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


class Served:
    """`sagetrim sim serve ARGS` in its own process, as a user runs it, and the environment it prints."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        self.process = subprocess.Popen([sys.executable, "-m", "sagetrim", "sim", "serve", *args], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.env: dict[str, str] = {}
        self.banner: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 120
        while "AWS_REGION" not in self.env and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip("\n"))
            if found := re.match(r"export (AWS_[A-Z_]+)=(\S+)$", line.strip()):
                self.env[found.group(1)] = found.group(2)
        assert "AWS_ENDPOINT_URL" in self.env, "\n".join(self.banner)

    def client(self, service: str, region: str = "us-east-1", config: Config = NO_RETRIES) -> Any:
        return boto3.Session(
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        ).client(service, endpoint_url=self.env["AWS_ENDPOINT_URL"], config=config)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def faulty() -> Iterator[Served]:
    """A served empty account where a quarter of requests are throttled, a quarter fail with a 500,
    SageMaker is denied in eu-west-1, and everything is denied in ap-south-1."""
    served = Served("--empty", "--throttle-rate", "0.25", "--error-rate", "0.25",
                    "--deny", "eu-west-1:sagemaker", "--deny", "ap-south-1")  # fmt: skip
    yield served
    served.stop()


def outcome(call: Any) -> tuple[str, int]:
    try:
        response = call()
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
    return "ok", response["ResponseMetadata"]["HTTPStatusCode"]


class TestThrottlingAndErrors:
    def test_the_banner_says_what_the_account_suffers(self, faulty: Served) -> None:
        banner = "\n".join(faulty.banner)
        assert "25% of requests throttled (ThrottlingException, HTTP 400)" in banner
        assert "25% of requests failing (InternalFailure, HTTP 500)" in banner
        assert "sagemaker in eu-west-1 denied" in banner
        assert "every service in ap-south-1 denied" in banner

    def test_the_shares_of_throttled_and_failed_requests_are_as_asked(self, faulty: Served) -> None:
        # given a client that does not retry
        sagemaker = faulty.client("sagemaker")
        # when it calls 400 times
        seen = Counter(outcome(sagemaker.list_endpoints) for _ in range(400))
        # then about a quarter are throttled and a quarter fail, each with AWS's code and status, and no other
        assert set(seen) == {("ok", 200), ("ThrottlingException", 400), ("InternalFailure", 500)}
        assert 70 <= seen["ThrottlingException", 400] <= 130
        assert 70 <= seen["InternalFailure", 500] <= 130

    def test_a_query_service_is_throttled_with_its_own_code(self, faulty: Served) -> None:
        sts = faulty.client("sts")
        seen = Counter(outcome(sts.get_caller_identity) for _ in range(60))
        assert set(seen) == {("ok", 200), ("Throttling", 400), ("InternalFailure", 500)}

    def test_botocore_retries_the_throttling_and_the_500s_and_gets_through(self, faulty: Served) -> None:
        # given a client with botocore's standard retries, as sagetrim's own
        sagemaker = faulty.client("sagemaker", config=Config(retries={"total_max_attempts": 10, "mode": "standard"}))
        # when it calls 8 times, then every call succeeds, some after retries
        attempts = [sagemaker.list_endpoints()["ResponseMetadata"]["RetryAttempts"] for _ in range(8)]
        assert max(attempts) >= 1


class TestDenied:
    def test_sagemaker_in_a_denied_region_answers_access_denied_every_time(self, faulty: Served) -> None:
        sagemaker = faulty.client("sagemaker", region="eu-west-1")
        for _ in range(20):  # never throttled or failed instead: IAM decides first
            with pytest.raises(ClientError) as caught:
                sagemaker.list_notebook_instances()
            error = caught.value.response
            assert error["Error"]["Code"] == "AccessDeniedException"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Message"] == (
            "User: arn:aws:sts::123456789012:user/moto is not authorized to perform: sagemaker:ListNotebookInstances "
            "because no identity-based policy allows the sagemaker:ListNotebookInstances action"
        )

    def test_other_services_in_that_region_and_sagemaker_elsewhere_are_allowed(self, faulty: Served) -> None:
        sts, sagemaker = faulty.client("sts", region="eu-west-1"), faulty.client("sagemaker")
        eu_sts = Counter(outcome(sts.get_caller_identity) for _ in range(30))
        us_sagemaker = Counter(outcome(sagemaker.list_endpoints) for _ in range(30))
        assert eu_sts["ok", 200] > 0 and us_sagemaker["ok", 200] > 0
        assert not {code for code, _ in eu_sts + us_sagemaker} & {"AccessDenied", "AccessDeniedException"}

    def test_a_region_denied_for_every_service_denies_query_services_with_403(self, faulty: Served) -> None:
        assert outcome(faulty.client("sts", region="ap-south-1").get_caller_identity) == ("AccessDenied", 403)
        assert outcome(faulty.client("sagemaker", region="ap-south-1").list_endpoints) == (
            "AccessDeniedException", 400)


def test_latency_delays_every_answer() -> None:
    served = Served("--empty", "--latency-ms", "300")
    try:
        sagemaker, sts = served.client("sagemaker"), served.client("sts")
        for call in (sagemaker.list_endpoints, sts.get_caller_identity):
            started = time.perf_counter()
            assert outcome(call) == ("ok", 200)
            assert time.perf_counter() - started >= 0.3
        assert "every answer delayed 300 ms" in "\n".join(served.banner)
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--throttle-rate", "0.7", "--error-rate", "0.5"], "add up to 1.2"),
        (["--throttle-rate", "1.5"], "--throttle-rate"),
        (["--latency-ms", "-1"], "--latency-ms"),
        (["--deny", "nowhere"], "--deny: 'nowhere' does not start with a region"),
        (["--deny", "eu-west-1:sagemakr"], "--deny: 'sagemakr' is not a service name boto3 knows"),
    ],
)
def test_bad_fault_options_are_refused_with_status_2(cli: Any, flags: list[str], message: str) -> None:
    result = cli("sim", "serve", "--empty", *flags, timeout=60)
    assert result.code == 2
    assert message in result.out + result.err
    assert "Traceback" not in result.err


def readme_serve_examples() -> list[str]:
    section = README.split("## The simulated account", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^sagetrim sim serve ([^#\n]*?)\s*(?:#.*)?$", section, re.MULTILINE)


def test_the_readme_shows_every_fault_option() -> None:
    examples = " ".join(readme_serve_examples())
    for flag in ("--latency-ms", "--throttle-rate", "--error-rate", "--deny"):
        assert flag in examples


def test_the_readme_fault_example_runs_and_a_scan_reports_the_denied_region() -> None:
    # given the README's example of a served account with faults
    [example] = [e for e in readme_serve_examples() if "--deny" in e]
    served = Served(*example.split(), "--port", "0")
    try:
        # when the README's scan runs against it
        env = {**os.environ, **served.env, "COLUMNS": "200"}
        scan = subprocess.run([sys.executable, "-m", "sagetrim", "scan", "--regions", "us-east-1,eu-west-1",
                               "--format", "json", "--no-cache"], env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        # then us-east-1 is scanned through the throttling and eu-west-1 is reported as denied
        assert scan.returncode == 4, scan.stderr
        report = json.loads(scan.stdout)
        assert {e["region"] for e in report["errors"]} == {"eu-west-1"}
        assert all("AccessDeniedException" in json.dumps(e) for e in report["errors"])
        assert {r["region"] for r in report["resources"]} == {"us-east-1"}
    finally:
        served.stop()
