"""The simulated AWS account: moto in server mode, in-process, behind a thin WSGI layer.

Any boto3 client reaches it through ``endpoint_url`` (or ``AWS_ENDPOINT_URL``). The layer in front of moto
counts every request, applies latency and injected faults, serves the services moto lacks (registered JSON
handlers, Studio apps and spaces through moto's own dispatch), and installs the SageMaker fixes and the sim
clock. moto's state is process-wide, so every SimServer in a process shares the same accounts.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import boto3

from sagetrim.sim import autoscaling_fixes, endpoint_updates, sagemaker_fixes, studio
from sagetrim.sim import clock as clock_module
from sagetrim.sim.clock import SimClock
from sagetrim.sim.faults import KILL_HEADER, FaultInjector, raise_kill
from sagetrim.sim.moto_patch import existing
from sagetrim.sim.wire import (
    DEFAULT_ACCOUNT_ID,
    RequestInfo,
    SimServiceError,
    WireResponse,
    identify,
    read_body,
    render_error,
    render_json,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from werkzeug.serving import BaseWSGIServer

__all__ = ["JsonHandler", "RequestLog", "RequestRecord", "SimServer", "SimServiceError", "SimSession"]

log = logging.getLogger(__name__)

# AWS's documented example credentials: recognisably fake, accepted by every client.
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# handler(operation, body, region) -> response body
JsonHandler: TypeAlias = Callable[[str, dict[str, Any], str], dict[str, Any]]

_STUDIO_KINDS = ("user-profile", "space", "app")


@dataclass(frozen=True)
class RequestRecord:
    """One request the sim answered (or failed on purpose)."""

    service: str
    operation: str
    region: str
    account: str
    time: float

    @property
    def key(self) -> str:
        """``service:Operation``."""
        return f"{self.service}:{self.operation}"


class RequestLog:
    """Every AWS request that reached the sim, in order; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def record(self, request: RequestInfo) -> None:
        """Add a request."""
        entry = RequestRecord(request.service, request.operation, request.region, request.account, time.time())
        with self._lock:
            self._records.append(entry)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the log."""
        with self._lock:
            return list(self._records)

    def counts(
        self, *, service: str | None = None, region: str | None = None, account: str | None = None
    ) -> dict[str, int]:
        """Requests per ``service:Operation``, optionally only those of one service, region or account."""
        return dict(
            Counter(
                r.key
                for r in self.records
                if (service is None or r.service == service)
                and (region is None or r.region == region)
                and (account is None or r.account == account)
            )
        )

    def total(self) -> int:
        """The number of requests logged."""
        with self._lock:
            return len(self._records)

    def reset(self) -> None:
        """Forget every request."""
        with self._lock:
            self._records.clear()


class SimSession(boto3.Session):
    """A boto3 session whose clients and resources talk to a SimServer unless told otherwise.

    Sim sessions share one botocore data loader: a new session otherwise reads and parses every service
    model again (tens of milliseconds per client), which is most of what a test making many sessions spends.
    """

    _shared_loader: ClassVar[Any] = None
    _loader_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url
        with SimSession._loader_lock:
            if SimSession._shared_loader is None:
                SimSession._shared_loader = self._loader  # already searching boto3's own data as well
            else:
                self._session.register_component("data_loader", SimSession._shared_loader)
                self._loader = SimSession._shared_loader

    def client(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like :meth:`boto3.Session.client`, with ``endpoint_url`` defaulting to the sim."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        made = super().client(*args, **kwargs)
        made.meta.events.register("after-call.*.*", raise_kill)  # a fault with `kill` ends the caller here
        return made

    def resource(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Like :meth:`boto3.Session.resource`, with ``endpoint_url`` defaulting to the sim."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().resource(*args, **kwargs)


def _install_cloudwatch() -> None:
    """Install the sim's CloudWatch metric store when that module is present."""
    name = "sagetrim.sim.cloudwatch"
    if importlib.util.find_spec(name) is None:
        return
    module: Any = importlib.import_module(name)
    install = getattr(module, "install", None)
    if callable(install):
        install()


def _moto_dispatcher() -> Any:
    """moto's host dispatcher, remembering which backend serves which host.

    moto matches the host against every service's URL patterns on every request (a few ms each); the
    answer for a host never changes, so it is looked up once.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    existing(DomainDispatcherApplication, "get_backend_for_host")

    class CachingDispatcher(DomainDispatcherApplication):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(create_backend_app)
            self.backend_for_host: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host not in self.backend_for_host:
                self.backend_for_host[host] = super().get_backend_for_host(host)
            return self.backend_for_host[host]

    return CachingDispatcher()


def _request_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):  # type: ignore[misc]
        """moto's request handler without a log line per request."""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return QuietRequestHandler


class SimServer:
    """A simulated AWS account on loopback, served from a daemon thread.

    Args:
        port: TCP port; 0 picks a free one.
        host: address to bind, loopback by default.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. moto keeps its resources and the
    installed clock process-wide: servers running at once in one process share the accounts, and the
    clock of the one started last is the one moto reads.
    """

    account_id: str = DEFAULT_ACCOUNT_ID

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.clock = SimClock()
        self._json_services: dict[str, JsonHandler] = {}
        self._sessions: dict[str, SimSession] = {}
        self._sessions_lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._moto_app: Any = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> SimServer:
        """Install the fixes, bind the port and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        from werkzeug.serving import make_server

        sagemaker_fixes.apply()
        autoscaling_fixes.apply()
        studio.install()
        endpoint_updates.install()
        clock_module.install(self.clock)
        _install_cloudwatch()
        self._moto_app = _moto_dispatcher()
        server = make_server(self.host, self.port, self._wsgi, threaded=True, request_handler=_request_handler())
        self.port = int(server.server_port)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sagetrim-sim-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release the port and put moto back on real time. moto's state stays (it is
        process-wide)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        clock_module.uninstall(self.clock)
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every resource in every account (moto's and Studio's), the request log and the faults,
        and put the clock back on real time."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.requests.reset()
        self.faults.clear()
        self.clock.reset()

    # --- how to reach it --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("the sim server is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """The environment variables that point any AWS SDK or CLI at the sim."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }

    def session(self, region: str = "us-east-1") -> SimSession:
        """A boto3 session with the sim's credentials whose clients talk to the sim."""
        return SimSession(
            self.url,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=region,
        )

    def client(self, service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        """A boto3 client of ``service`` that talks to the sim (``kwargs`` go to ``Session.client``)."""
        # One cached session per region: building a session costs far more than building a client.
        with self._sessions_lock:
            session = self._sessions.get(region)
            if session is None or session.endpoint_url != self.url:
                session = self._sessions[region] = self.session(region)
            return session.client(service, **kwargs)

    # --- extending and steering it -----------------------------------------------------------------

    def register_json_service(self, service: str, handler: JsonHandler) -> None:
        """Serve a JSON-protocol service moto lacks (e.g. ``pricing``) with ``handler``.

        ``handler(operation, body, region)`` returns the response as a dict (datetimes are sent as epoch
        seconds) or raises :class:`SimServiceError`, which is sent as an AWS JSON error.
        """
        self._json_services[service] = handler

    def backend(self, service: str, account: str | None = None, region: str = "us-east-1") -> Any:
        """moto's backend of ``service`` for one account and region (for generating fleets quickly)."""
        from moto.backends import get_backend

        return get_backend(service)[account or self.account_id][region]  # type: ignore[call-overload]

    def set_creation_time(self, account: str, region: str, kind: str, name: str, when: datetime) -> None:
        """Backdate a SageMaker resource; see :func:`sagetrim.sim.sagemaker_fixes.set_creation_time`.

        Studio kinds (``user-profile``, ``space``, ``app``) are named ``DOMAIN/USER``, ``DOMAIN/SPACE``
        and ``DOMAIN/OWNER/AppType/APPNAME``.
        """
        if kind in _STUDIO_KINDS:
            studio.set_creation_time(account, region, kind, name, when)  # type: ignore[arg-type]
        else:
            sagemaker_fixes.set_creation_time(account, region, kind, name, when)  # type: ignore[arg-type]

    def set_status(self, account: str, region: str, kind: str, name: str, status: str, **times: Any) -> None:
        """Set a SageMaker resource's status; see :func:`sagetrim.sim.sagemaker_fixes.set_status`."""
        if kind in _STUDIO_KINDS:
            if times:
                raise TypeError(f"{kind} takes no times: {', '.join(times)}")
            studio.set_status(account, region, kind, name, status)  # type: ignore[arg-type]
        else:
            sagemaker_fixes.set_status(account, region, kind, name, status, **times)  # type: ignore[arg-type]

    # --- the WSGI layer ---------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/moto-api"):
            return self._moto(environ, start_response, None)
        body = read_body(environ)
        request = identify(environ, body)
        if request is None:
            return self._moto(environ, start_response, None)
        self.requests.record(request)
        delay = self.faults.latency_for(request.service)
        if delay > 0:
            time.sleep(delay)
        params = _json_params(body) if request.protocol == "json" else {}
        fault = self.faults.pick(request, params)
        if fault is not None and fault.applied:
            self._carry_out(environ, request, body)
        if fault is not None:
            error = render_error(request, *fault.answer(request))
            if fault.kill is not None:
                error = WireResponse(error.status, [*error.headers, (KILL_HEADER, fault.kill)], error.body)
            return _send(start_response, error)
        handler = self._json_services.get(request.service)
        if handler is not None:
            return _send(start_response, self._call_json_service(handler, request, body))
        if request.protocol == "rpc-v2-cbor":
            message = "The sim speaks the JSON and query protocols; this client sent Smithy RPC v2 CBOR."
            return _send(start_response, render_error(request, "UnsupportedProtocol", message, 400))
        due = self.faults.vanishing(request, params) if request.service == "sagemaker" else []
        if not due:
            return self._moto(environ, start_response, request)
        answer = list(self._moto(environ, start_response, request))  # answered before the resource goes
        for vanishing in due:
            sagemaker_fixes.remove(request.account, request.region, vanishing.kind,  # type: ignore[arg-type]
                                   vanishing.name)
        return answer

    def _carry_out(self, environ: dict[str, Any], request: RequestInfo, body: bytes) -> None:
        """Serve a request and drop the answer (the caller dies before it arrives)."""
        handler = self._json_services.get(request.service)
        if handler is not None:
            self._call_json_service(handler, request, body)
            return
        replay = {**environ, "wsgi.input": io.BytesIO(body)}
        for _ in self._moto(replay, lambda *args, **kwargs: None, request):
            pass

    def _moto(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: RequestInfo | None
    ) -> Iterable[bytes]:
        try:
            return self._moto_app(environ, start_response)  # type: ignore[no-any-return]
        except NotImplementedError as exc:
            if request is None:
                raise
            message = f"The simulated account does not implement {request.key}: {exc}"
            return _send(start_response, render_error(request, "NotImplemented", message, 501))
        except Exception as exc:
            if request is None:
                raise
            log.exception("sim failed on %s", request.key)
            message = f"The sim failed on {request.key}: {type(exc).__name__}: {exc}"
            return _send(start_response, render_error(request, "InternalFailure", message, 500))

    @staticmethod
    def _call_json_service(handler: JsonHandler, request: RequestInfo, body: bytes) -> WireResponse:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise SimServiceError("SerializationException", "The request body is not a JSON object.")
            return render_json(request, handler(request.operation, payload, request.region))
        except SimServiceError as exc:
            return render_error(request, exc.code, exc.message, exc.status)
        except json.JSONDecodeError as exc:
            return render_error(request, "SerializationException", f"Malformed JSON: {exc}", 400)
        except Exception as exc:
            log.exception("sim handler failed on %s", request.key)
            return render_error(request, "InternalFailure", f"{type(exc).__name__}: {exc}", 500)


def _json_params(body: bytes) -> dict[str, Any]:
    """The parameters of a JSON-protocol request; empty for any other body."""
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def _send(start_response: Callable[..., Any], response: WireResponse) -> list[bytes]:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Error"
    start_response(f"{response.status} {reason}", response.headers)
    return [response.body]
