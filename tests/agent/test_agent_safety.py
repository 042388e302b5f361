"""The agent trusts an unverified certificate only on loopback, and keeps its state where no one else can reach."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sagetrim.agent import autostop
from sagetrim.urls import is_loopback_host

if TYPE_CHECKING:
    from collections.abc import Iterator

LOOPBACK = ["127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "[::1]", "localhost"]
NOT_LOOPBACK = ["127.evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "evil-localhost", "128.0.0.1",
                "10.0.0.1", "::2", "0.0.0.0", "example.com", "", "127.0.0.256"]  # fmt: skip


class TestLoopback:
    @pytest.mark.parametrize("host", LOOPBACK)
    def test_literal_loopback_addresses_are_loopback(self, host: str) -> None:
        assert autostop.is_loopback(host)
        assert is_loopback_host(host), "the agent and the webhook client agree"

    @pytest.mark.parametrize("host", NOT_LOOPBACK)
    def test_names_that_only_look_like_loopback_are_not(self, host: str) -> None:
        assert not autostop.is_loopback(host)
        assert not is_loopback_host(host), "the agent and the webhook client agree"


class StatusServer:
    """An https server with a self-signed certificate for localhost that answers Jupyter's /api/status."""

    def __init__(self, certfile: Path, keyfile: Path) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"started": "2024-03-01T12:00:00Z", "last_activity": "2024-03-01T12:00:00Z"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)


@pytest.fixture
def status_server(localhost_certificate: tuple[Path, Path]) -> Iterator[StatusServer]:
    server = StatusServer(*localhost_certificate)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def evil_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under evil.example resolve to 127.0.0.1, as a hostile DNS answer would make them."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".evil.example"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class TestTlsVerification:
    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
    def test_the_notebooks_own_certificate_is_accepted_on_loopback(
        self, status_server: StatusServer, host: str
    ) -> None:
        # given Jupyter on loopback with its self-signed certificate
        client = autostop.Jupyter(f"https://{host}:{status_server.port}", "")
        # when the agent reads it, then it answers
        assert client.get("/api/status")["started"] == "2024-03-01T12:00:00Z"

    @pytest.mark.parametrize("host", ["127.evil.example", "localhost.evil.example"])
    def test_a_name_that_resolves_to_loopback_gets_its_certificate_verified(
        self, status_server: StatusServer, evil_dns: None, host: str
    ) -> None:
        # given a name that starts like a loopback address and resolves to the same server
        client = autostop.Jupyter(f"https://{host}:{status_server.port}", "")
        # when the agent reads it, then the self-signed certificate is refused
        with pytest.raises(autostop.JupyterError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get("/api/status")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


class TestStateFile:
    def test_the_state_is_written_in_a_private_directory_as_a_private_file(self, tmp_path: Path) -> None:
        # given no state directory yet
        target = tmp_path / "lib" / "sagetrim-autostop" / "state.json"
        # when the agent saves its state
        autostop.save_state(str(target), {"version": 1, "boot_id": "b", "last_active": 5.0})
        # then the directory is 0700, the file 0600, and no temporary file is left behind
        assert mode(target.parent) == 0o700
        assert mode(target) == 0o600
        assert [p.name for p in target.parent.iterdir()] == ["state.json"]
        assert autostop.load_state(str(target), "b")["last_active"] == 5.0

    def test_a_directory_open_to_others_is_made_private(self, tmp_path: Path) -> None:
        directory = tmp_path / "state"
        directory.mkdir(mode=0o777)
        directory.chmod(0o777)
        autostop.save_state(str(directory / "s.json"), {"version": 1})
        assert mode(directory) == 0o700

    def test_a_symlink_in_place_of_the_state_file_is_neither_read_nor_written_through(self, tmp_path: Path) -> None:
        # given a state file replaced by a symlink to a file someone wants read or overwritten
        directory = tmp_path / "state"
        directory.mkdir(mode=0o700)
        victim = tmp_path / "victim.json"
        victim.write_text(json.dumps({"version": 1, "boot_id": "b", "stop_requested_at": 1.0}))
        (directory / "s.json").symlink_to(victim)
        # when the agent loads, then the symlink is not followed
        assert autostop.load_state(str(directory / "s.json"), "b") == {}
        # when it saves, then the symlink is replaced by its own file and the target is untouched
        autostop.save_state(str(directory / "s.json"), {"version": 1, "boot_id": "b"})
        assert not (directory / "s.json").is_symlink()
        assert json.loads(victim.read_text())["stop_requested_at"] == 1.0

    def test_a_symlinked_state_directory_is_refused(self, tmp_path: Path) -> None:
        # given the state directory replaced by a symlink to somewhere else
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        (elsewhere / "s.json").write_text(json.dumps({"version": 1, "boot_id": "b", "last_active": 1.0}))
        (tmp_path / "state").symlink_to(elsewhere)
        # when the agent loads or saves there, then it refuses
        assert autostop.load_state(str(tmp_path / "state" / "s.json"), "b") == {}
        with pytest.raises(OSError, match="not a directory"):
            autostop.save_state(str(tmp_path / "state" / "s.json"), {"version": 1})
        assert json.loads((elsewhere / "s.json").read_text())["last_active"] == 1.0

    def test_by_default_the_state_lives_in_a_directory_of_its_own(self) -> None:
        path = Path(autostop.default_state_file())
        assert path.parent.name == "sagetrim-autostop"
        assert not str(path).startswith("/tmp/")
