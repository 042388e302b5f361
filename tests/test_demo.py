"""`sagetrim demo` and `sagetrim sim serve` as a new user meets them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3

from tests.conftest import run_cli


def test_demo_shows_where_the_money_goes_quickly_and_leaves_nothing_running():
    started = time.monotonic()
    result = run_cli("demo", timeout=60)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    assert elapsed < 45
    out = result.out
    assert "projected this month" in out and "Where the money goes" in out
    assert "churn-model-v1-0000" in out and "hosting" in out
    assert "sagetrim scan --profile" in out  # how to point it at a real account
    assert "simulated account is stopped" in out


def test_demo_as_json_is_a_scan_document():
    result = run_cli("demo", "--format", "json", timeout=60)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    kinds = {r["kind"] for r in doc["resources"]}
    assert kinds >= {"notebook-instance", "studio-app", "endpoint", "training-job", "processing-job",
                     "transform-job"}
    assert doc["errors"] == [] and doc["regions"] == ["us-east-1", "eu-west-1"]
    serverless = next(r for r in doc["resources"] if r["name"] == "faq-bot")
    assert serverless["variants"][0]["serverless_memory_mb"] == 2048 and serverless["usd_per_hour"] == 0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script's background job starts


def test_sim_serve_prints_the_environment_and_answers_any_boto3_client(tmp_path):
    # Started as a script's background job (SIGINT ignored), it still stops on SIGINT.
    proc = subprocess.Popen([sys.executable, "-m", "sagetrim", "sim", "serve", "--empty"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
                            preexec_fn=_ignore_sigint)
    try:
        env = {}
        deadline = time.monotonic() + 30
        while len(env) < 4 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("export "):
                key, _, value = line[len("export "):].strip().partition("=")
                env[key] = value
        assert "AWS_ENDPOINT_URL" in env
        sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        sm.create_notebook_instance(NotebookInstanceName="mine", InstanceType="ml.g6.xlarge",
                                    RoleArn="arn:aws:iam::123456789012:role/x")
        scanned = run_cli("scan", "--format", "json", env=env)
        assert [r["name"] for r in json.loads(scanned.out)["resources"]] == ["mine"]
    finally:
        proc.send_signal(signal.SIGINT)
        # Read what is left of both pipes while it stops, so a full pipe can never hold it up; a loaded machine
        # (the suite runs on every core) may take a while to get to it.
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def test_sim_serve_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "sagetrim", "sim", "serve", "--empty"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        while not proc.stdout.readline().startswith("export "):
            pass
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stopped" in out, err


def test_sim_serve_rejects_conflicting_options():
    result = run_cli("sim", "serve", "--empty", "--preset", "demo")
    assert result.code == 2 and "--empty" in result.err


def test_the_demo_headline_counts_every_resource_and_says_which_dollars_leave_some_out(cli):
    result = cli("demo", env={"COLUMNS": "200"})
    assert result.code == 0, result.err
    headline = " ".join(result.out.split("SageMaker resources that bill (")[0].split())
    assert "38 SageMaker resources that bill" in headline and "(1 of unknown price not counted)" in headline
