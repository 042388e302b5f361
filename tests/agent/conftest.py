"""Fixtures of the autostop tests: a real Jupyter server, the stand-in SageMaker API, a fake /proc.

The Jupyter server is real (jupyter_server + ipykernel) and listens on loopback with a token; kernels
and terminals are driven through its REST and websocket APIs, as a browser would.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websocket

from sagetrim.agent import autostop
from sagetrim.sim.server import SimServer

AGENT = Path(autostop.__file__)
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JupyterServer:
    """A `jupyter server` subprocess on loopback, with a token, and a small client of its APIs."""

    def __init__(self, home: Path, *, certfile: Path | None = None, keyfile: Path | None = None) -> None:
        self.token = secrets.token_hex(16)
        self.port = free_port()
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        for d in ("root", "data", "runtime", "config"):
            (home / d).mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
        }
        command = [
            sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            "--port-retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={home / 'root'}",
            "--ServerApp.allow_root=True",
        ]  # fmt: skip
        if certfile and keyfile:
            command += [f"--ServerApp.certfile={certfile}", f"--ServerApp.keyfile={keyfile}"]
        self.log = (home / "server.log").open("w")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(certfile is not None)
        except BaseException:
            self.close()  # a server that did not come up is not left running
            raise

    def _wait_ready(self, https: bool) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if https or self.api("GET", "/api/status"):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError("jupyter server did not start")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def api(self, method: str, path: str, body: dict[str, Any] | None = None, *, track: bool = True) -> Any:
        """Call the REST API as a browser does (or, with track=False, without counting as activity)."""
        url = self.url + path + ("" if track else "?no_track_activity=1")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def status(self) -> dict[str, Any]:
        return dict(self.api("GET", "/api/status", track=False))

    def kernel(self, kernel_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/kernels/{kernel_id}", track=False))

    def start_kernel(self) -> str:
        return str(self.api("POST", "/api/kernels", {"name": "python3"})["id"])

    def wait_kernel(self, kernel_id: str, state: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.kernel(kernel_id)["execution_state"] != state:
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel {kernel_id} not {state}")
            time.sleep(0.05)

    def channels(self, kernel_id: str) -> websocket.WebSocket:
        """Open the kernel's websocket, as a notebook tab does."""
        ws_url = self.url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
        return websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=30)

    def execute(self, kernel_id: str, code: str, *, wait: bool = True) -> None:
        """Run a cell; with wait=False, return once the kernel is busy with it and close the tab."""
        ws = self.channels(kernel_id)
        try:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps(_message("execute_request", msg_id, {"code": code, "silent": False})))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id or msg["msg_type"] != "status":
                    continue
                if msg["content"]["execution_state"] == ("idle" if wait else "busy"):
                    break
        finally:
            ws.close()
        if not wait:
            self.wait_kernel(kernel_id, "busy")

    def start_terminal(self) -> str:
        return str(self.api("POST", "/api/terminals")["name"])

    def type_in_terminal(self, name: str, text: str) -> None:
        ws_url = self.url.replace("http", "ws", 1) + f"/terminals/websocket/{name}"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=10)
        try:
            ws.send(json.dumps(["stdin", text]))
            time.sleep(0.2)
        finally:
            ws.close()

    def terminal(self, name: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/terminals/{name}", track=False))

    def reset(self) -> None:
        """End every kernel and terminal, so that each test starts from an empty server."""
        for k in self.api("GET", "/api/kernels", track=False):
            self.api("DELETE", f"/api/kernels/{k['id']}")
        for t in self.api("GET", "/api/terminals", track=False):
            self.api("DELETE", f"/api/terminals/{t['name']}")


def _message(msg_type: str, msg_id: str, content: dict[str, Any]) -> dict[str, Any]:
    header = {"msg_id": msg_id, "msg_type": msg_type, "session": uuid.uuid4().hex, "username": "test", "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = JupyterServer(tmp_path_factory.mktemp("jupyter"))
    yield server
    server.close()


@pytest.fixture
def https_jupyter(tmp_path: Path) -> Iterator[JupyterServer]:
    """A Jupyter server on https with a self-signed certificate, as on a notebook instance."""
    certfile, keyfile = self_signed_certificate(tmp_path)
    server = JupyterServer(tmp_path / "jupyter", certfile=certfile, keyfile=keyfile)
    yield server
    server.close()


@pytest.fixture
def localhost_certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and its key, as files."""
    return self_signed_certificate(tmp_path)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost signed by its own key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certfile, keyfile


@pytest.fixture
def jupyter(jupyter_server: JupyterServer) -> Iterator[JupyterServer]:
    """The module's Jupyter server, emptied of kernels and terminals after each test."""
    yield jupyter_server
    jupyter_server.reset()


@dataclass
class StandInSageMaker:
    """The simulated account's SageMaker API: its endpoint, a client of it, and its request log."""

    sim: SimServer

    @property
    def endpoint(self) -> str:
        return self.sim.url

    @property
    def env(self) -> dict[str, str]:
        return self.sim.env(REGION)

    def client(self) -> Any:
        return self.sim.client("sagemaker", REGION)

    def calls(self, operation: str) -> int:
        return self.sim.requests.counts(service="sagemaker").get(f"sagemaker:{operation}", 0)

    def set_status(self, name: str, status: str) -> None:
        self.sim.set_status(self.sim.account_id, REGION, "notebook-instance", name, status)


@pytest.fixture(scope="module")
def sagemaker_api(sim: SimServer) -> StandInSageMaker:
    return StandInSageMaker(sim)


@dataclass
class Notebook:
    """A notebook instance in the stand-in API, and the metadata file SageMaker puts on it."""

    name: str
    metadata_file: Path
    api: StandInSageMaker

    def status(self) -> str:
        described = self.api.client().describe_notebook_instance(NotebookInstanceName=self.name)
        return str(described["NotebookInstanceStatus"])


@pytest.fixture
def notebook(sagemaker_api: StandInSageMaker, tmp_path: Path) -> Notebook:
    name = f"nb-{uuid.uuid4().hex[:10]}"
    arn = sagemaker_api.client().create_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/notebook"
    )["NotebookInstanceArn"]
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceArn": arn, "ResourceName": name}))
    return Notebook(name, metadata, sagemaker_api)


@dataclass
class FakeProc:
    """A /proc tree: a boot time, a boot id, and processes (fake ones, or real ones linked in)."""

    root: Path
    boot_time: float
    boot_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.boot_time = float(int(self.boot_time))  # /proc/stat has whole seconds
        (self.root / "sys/kernel/random").mkdir(parents=True)
        (self.root / "sys/kernel/random/boot_id").write_text(self.boot_id + "\n")
        (self.root / "stat").write_text(f"cpu  1 2 3 4\nbtime {int(self.boot_time)}\nprocesses 9\n")

    def add(self, pid: int, *, cpu_s: float, started_s_after_boot: float, command: str = "python train.py") -> None:
        """A process that has used `cpu_s` of CPU since it started."""
        hz = os.sysconf("SC_CLK_TCK")
        ticks, start = round(cpu_s * hz), round(started_s_after_boot * hz)
        fields = ["S", "1", pid, pid, 0, -1, 0, 0, 0, 0, 0, ticks, 0, 0, 0, 20, 0, 1, 0, start, 0, 0]
        (self.root / str(pid)).mkdir(exist_ok=True)
        (self.root / str(pid) / "stat").write_text(f"{pid} (python) " + " ".join(map(str, fields)) + "\n")
        (self.root / str(pid) / "cmdline").write_bytes(command.replace(" ", "\0").encode() + b"\0")

    def link(self, pid: int) -> None:
        """Show a real process, with its real CPU accounting."""
        (self.root / str(pid)).symlink_to(f"/proc/{pid}")


@pytest.fixture
def fake_proc(tmp_path: Path) -> FakeProc:
    """A machine booted a day ago, with no process of the notebook's users."""
    return FakeProc(tmp_path / "proc", time.time() - 86400)


@pytest.fixture
def proc_booted_at(tmp_path: Path) -> Callable[[float], FakeProc]:
    """A /proc tree of a machine booted at a given time (epoch seconds), with no process yet."""
    return lambda boot_time: FakeProc(tmp_path / "proc", boot_time)


@pytest.fixture
def real_boot_proc(tmp_path: Path) -> FakeProc:
    """This machine's real boot, to which real processes can be linked."""
    fake = FakeProc(tmp_path / "proc", 0)
    (fake.root / "stat").unlink()
    (fake.root / "stat").symlink_to("/proc/stat")
    fake.boot_time = autostop.Machine(str(fake.root)).boot_time
    return fake


@dataclass
class Check:
    """One run of the agent: its JSON line and exit status."""

    report: dict[str, Any]
    status: int

    @property
    def action(self) -> str:
        return str(self.report["action"])

    @property
    def reasons(self) -> str:
        return " | ".join(self.report["reasons"])


class Agent:
    """Runs the agent file in a subprocess, as cron does, against the test's Jupyter, /proc and API."""

    def __init__(self, tmp_path: Path, proc: FakeProc) -> None:
        self.state_file = tmp_path / "state" / "autostop.json"
        self.proc = proc
        self.jupyter: JupyterServer | None = None
        self.notebook: Notebook | None = None

    def __call__(self, *flags: str, now: float | None = None, env: dict[str, str] | None = None) -> Check:
        args = [
            "--state-file", str(self.state_file), "--proc-root", str(self.proc.root), "--users", str(os.getuid()),
        ]  # fmt: skip
        if self.jupyter and "--jupyter-url" not in flags:
            args += ["--jupyter-url", self.jupyter.url, "--token", self.jupyter.token]
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        if self.notebook:
            args += ["--metadata-file", str(self.notebook.metadata_file)]
            run_env.update(self.notebook.api.env)
        if now is not None:
            args += ["--now", repr(now)]
        run_env.update(env or {})
        done = subprocess.run(
            [sys.executable, str(AGENT), *args, *flags], capture_output=True, text=True, env=run_env, timeout=60
        )
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1, f"expected one JSON line, got {done.stdout!r}; stderr {done.stderr!r}"
        return Check(json.loads(lines[0]), done.returncode)

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))


@pytest.fixture
def agent(tmp_path: Path, fake_proc: FakeProc) -> Agent:
    """The agent on a machine booted a day ago where no process of the notebook's users runs."""
    return Agent(tmp_path, fake_proc)


@pytest.fixture
def real_agent(tmp_path: Path, real_boot_proc: FakeProc) -> Agent:
    """The agent on this machine's real boot, seeing only the real processes linked in."""
    return Agent(tmp_path, real_boot_proc)


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
