"""The autostop agent's footprint per check, and the lifecycle script's size against SageMaker's limit.

Starts a real Jupyter server (loopback, token) with a few kernels and terminals, runs the agent as
cron would, N times, and reports per check the CPU time (user + sys) and peak memory (max RSS) of the
agent's process: CPU from wait4() for each run (cross-checked with getrusage(RUSAGE_CHILDREN)),
peak memory from the process's own VmHWM (a child's ru_maxrss counts the parent's memory at fork).
An empty Python script is measured the same way, as the floor that any Python check pays.
A check that stops the instance (which imports boto3 and makes two API calls) is measured against
the stand-in SageMaker API.

    python benchmarks/bench_agent.py [--runs 30] [--kernels 4] [--terminals 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sagetrim.agent import autostop
from sagetrim.agent.lifecycle import CONTENT_LIMIT, AgentOptions, encode_content, render_on_start

AGENT = autostop.__file__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_jupyter(home: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, **{f"JUPYTER_{d.upper()}_DIR": str(home / d) for d in ("data", "runtime", "config")}}
    (home / "root").mkdir(parents=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home / 'root'}",
         "--ServerApp.allow_root=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            call(url, token, "GET", "/api/status")
            return server, url, token
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("jupyter server did not start")


def call(url: str, token: str, method: str, path: str) -> object:
    request = urllib.request.Request(url + path, method=method, data=b"{}" if method == "POST" else None)
    request.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


PEAK = """import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open("/proc/self/status") as f:
        sys.stderr.write(next(line for line in f if line.startswith("VmHWM:")))
"""


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `python SCRIPT ARGS` to its end; return (CPU s, peak RSS MiB, stdout) of that process alone."""
    python, script, *args = command
    process = subprocess.Popen(
        [python, "-c", PEAK, script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout and process.stderr
    out, err = process.stdout.read(), process.stderr.read()  # a line each: no pipe fills up
    _, status, usage = os.wait4(process.pid, 0)  # reap it here, to get its own rusage
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_kib = float(err.decode().rsplit("VmHWM:", 1)[1].split()[0])
    return usage.ru_utime + usage.ru_stime, peak_kib / 1024, out.decode()


def summary(label: str, samples: list[tuple[float, float, str]]) -> None:
    cpu = sorted(s[0] * 1000 for s in samples)
    rss = [s[1] for s in samples]
    p95 = cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))]
    print(
        f"  {label:<44} CPU median {statistics.median(cpu):6.1f} ms  p95 {p95:6.1f} ms   "
        f"peak RSS {max(rss):5.1f} MiB   (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--kernels", type=int, default=4)
    parser.add_argument("--terminals", type=int, default=2)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        server, url, token = start_jupyter(home / "jupyter")
        try:
            for _ in range(opts.kernels):
                call(url, token, "POST", "/api/kernels")
            for _ in range(opts.terminals):
                call(url, token, "POST", "/api/terminals")
            time.sleep(2)
            processes = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == os.getuid())
            check = [sys.executable, AGENT, "--jupyter-url", url, "--token", token, "--idle-minutes", "60",
                     "--dry-run", "--users", str(os.getuid()), "--state-file", str(home / "state.json")]  # fmt: skip
            measure(check)  # warm the page cache
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            checks = [measure(check) for _ in range(opts.runs)]
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            (home / "empty.py").write_text("")
            floor = [measure([sys.executable, str(home / "empty.py")]) for _ in range(opts.runs)]
            stops = measure_stops(home, url, token, runs=5)
        finally:
            server.terminate()
            server.wait(10)

    last = json.loads(checks[-1][2])
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"autostop agent, {sys.implementation.name} {sys.version.split()[0]}, {os.cpu_count()} vCPUs")
    print(f"Jupyter: {opts.kernels} kernels, {opts.terminals} terminals; /proc: {processes} processes of the user")
    print("per check (one process, from wait4):")
    summary("check, no stop (stdlib only)", checks)
    summary("floor: an empty Python script", floor)
    summary("check that stops (imports boto3, 2 API calls)", stops)
    print(f"  getrusage(RUSAGE_CHILDREN) over the {opts.runs} checks: {1000 * total / opts.runs:.1f} ms CPU per check")
    print(f"  last decision: idle={last['idle']} action={last['action']} reasons={last['reasons']}")
    print(f"  every 5 minutes: {288 * statistics.median(c[0] for c in checks):.2f} s CPU per day")
    print("lifecycle script (base64 Content; SageMaker's limit is 16,384 characters):")
    largest = AgentOptions(120.5, True, 12.5, 2880.5, "https://localhost:8443/base/path", True)
    for label, options in (("default flags", AgentOptions(60)), ("every flag set", largest)):
        size = len(encode_content(render_on_start(options)))
        print(f"  {label:<16} {size:,} characters, {100 * size / CONTENT_LIMIT:.1f} % of {CONTENT_LIMIT:,}")


def measure_stops(home: Path, url: str, token: str, runs: int) -> list[tuple[float, float, str]]:
    """Checks that find the instance idle and stop it through the stand-in SageMaker API."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    api = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    api.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        client = boto3.client("sagemaker", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        arn = client.create_notebook_instance(
            NotebookInstanceName="bench", InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/r"
        )["NotebookInstanceArn"]
        metadata = home / "metadata.json"
        metadata.write_text(json.dumps({"ResourceName": "bench", "ResourceArn": arn}))
        env = {**os.environ, **keys, "AWS_ENDPOINT_URL": endpoint}
        samples = []
        for i in range(runs):
            client.start_notebook_instance(NotebookInstanceName="bench")
            command = [sys.executable, AGENT, "--jupyter-url", url, "--token", token, "--idle-minutes", "60",
                       "--ignore-connections", "--users", str(os.getuid()), "--metadata-file", str(metadata),
                       "--state-file", str(home / f"stop-{i}.json"), "--now", str(time.time() + 86400 * 3)]  # fmt: skip
            sample = measure(command, env)
            assert json.loads(sample[2])["action"] == "stop", sample[2]
            samples.append(sample)
        return samples
    finally:
        api.stop()


if __name__ == "__main__":
    main()
