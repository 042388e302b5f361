"""Latency, injected AWS errors and vanishing resources for the simulated account.

A :class:`Fault` matches requests by service (boto3 client name: ``sagemaker``, ``cloudwatch``, ``sts``),
operation, region, account and, for JSON-protocol requests, parameters (``{"EndpointName": "a"}``: one
resource); any criterion left ``None`` matches everything. It fires every time, a
fixed number of times, or with a probability drawn from a seeded generator, and the server renders it in
the wire format of the request's protocol so that botocore raises a ``ClientError`` with the fault's code
(and retries it where botocore would: throttling, 500 and 503).

Two more kinds of fault stand for what no AWS error can: a process killed at a given step, and a state
store that fails. A fault with ``kill`` set makes the client raise :class:`SimulatedKill` (a
``BaseException``, so that no ``except Exception`` stops it, as nothing stops SIGKILL), either before the
request is carried out or after (the change is made, the answer never arrives). :class:`FaultyStore` wraps a
state store and fails, corrupts or kills at its operations (backup write and read-back, journal append).

A :class:`Vanishing` deletes a resource right after a matching request was answered: a resource deleted
by someone else between the scan's list call and its describe, which every later call then misses.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from sagetrim.actions.state import StateStore, StoreError, StreamRead

if TYPE_CHECKING:
    from sagetrim.sim.wire import RequestInfo

__all__ = [
    "KILL_CODE",
    "KILL_HEADER",
    "AccessDenial",
    "Fault",
    "FaultInjector",
    "FaultMatch",
    "FaultyStore",
    "ProtocolFault",
    "SimulatedKill",
    "StoreFault",
    "parse_denial",
    "raise_kill",
]

KILL_CODE = "SimulatedProcessKill"
KILL_HEADER = "x-sagetrim-sim-kill"
Kill = Literal["before", "after"]

# The IAM action prefix of a service, where it differs from the boto3 client name.
_IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "sagemaker-runtime": "sagemaker", "monitoring": "cloudwatch"}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class SimulatedKill(BaseException):
    """The process was killed at this point (a fault with ``kill``): it escapes every ``except Exception``."""


def raise_kill(http_response: Any, model: Any, **_: Any) -> None:
    """A botocore ``after-call`` handler: a response the sim marked as a kill ends the caller right there."""
    headers = getattr(http_response, "headers", None) or {}
    if headers.get(KILL_HEADER):
        name = getattr(model, "name", "a call")
        raise SimulatedKill(f"killed {headers[KILL_HEADER]} {name}")


class FaultMatch(TypedDict, total=False):
    """The optional arguments of the preset faults: what to match, how often, and the message."""

    service: str | None
    operation: str | None
    region: str | None
    account: str | None
    params: dict[str, Any] | None
    times: int | None
    probability: float
    message: str | None


@dataclass
class Fault:
    """An AWS error returned to the requests it matches, instead of moto's answer."""

    code: str
    status: int
    message: str
    service: str | None = None
    operation: str | None = None
    region: str | None = None
    account: str | None = None
    times: int | None = None
    probability: float = 1.0
    skip: int = 0  # let this many matching requests through first
    kill: Kill | None = None  # the process dies before, or after, the request is carried out
    applied: bool = False  # the request is carried out, and the error sent instead of its answer
    params: dict[str, Any] | None = None
    fired: int = field(default=0, init=False)
    seen: int = field(default=0, init=False)

    def matches(self, request: RequestInfo, params: dict[str, Any] | None = None) -> bool:
        """Whether the request (with its parameters) falls under this fault's criteria (ignoring times and
        probability)."""
        return (
            (self.service is None or self.service == request.service)
            and (self.operation is None or self.operation == request.operation)
            and (self.region is None or self.region == request.region)
            and (self.account is None or self.account == request.account)
            and all((params or {}).get(k) == v for k, v in (self.params or {}).items())
        )

    @property
    def exhausted(self) -> bool:
        """Whether the fault has fired as many times as it was allowed to."""
        return self.times is not None and self.fired >= self.times

    def answer(self, request: RequestInfo) -> tuple[str, str, int]:
        """The error code, message and HTTP status sent to ``request``."""
        return self.code, self.message, self.status


@dataclass
class ProtocolFault(Fault):
    """A fault whose code and status differ for query-protocol services (STS, SNS), as AWS's do:
    ``Throttling`` there, ``ThrottlingException`` for JSON services."""

    query_code: str = ""
    query_status: int = 0

    def answer(self, request: RequestInfo) -> tuple[str, str, int]:
        if request.protocol == "query":
            return self.query_code or self.code, self.message, self.query_status or self.status
        return self.code, self.message, self.status


@dataclass
class AccessDenial(ProtocolFault):
    """What IAM answers when no policy allows the call: ``AccessDeniedException`` (HTTP 400) from JSON
    services such as SageMaker, ``AccessDenied`` (HTTP 403) from query services such as STS, with a message
    naming the caller and the action."""

    def answer(self, request: RequestInfo) -> tuple[str, str, int]:
        code, _, status = super().answer(request)
        action = f"{_IAM_PREFIX.get(request.service, request.service)}:{request.operation}"
        message = (f"User: arn:aws:sts::{request.account}:user/moto is not authorized to perform: {action} "
                   f"because no identity-based policy allows the {action} action")
        return code, message, status


def parse_denial(text: str) -> tuple[str, str | None]:
    """Read ``REGION[:SERVICE]`` (``eu-west-1``, ``eu-west-1:sagemaker``) into (region, service or None).

    Raises:
        ValueError: not a region, or not a boto3 service name; the message says which.
    """
    region, _, service = text.strip().partition(":")
    if not _REGION.match(region):
        raise ValueError(f"{text!r} does not start with a region such as eu-west-1 (REGION or REGION:SERVICE)")
    if not service:
        return region, None
    import boto3

    known = boto3.session.Session().get_available_services()
    if service not in known:
        raise ValueError(f"{service!r} is not a service name boto3 knows (e.g. sagemaker, cloudwatch, sts)")
    return region, service


@dataclass
class Vanishing:
    """A SageMaker resource deleted once, right after the first request it matches was answered."""

    kind: str  # as in sagemaker_fixes.MotoKind: endpoint, endpoint-config, notebook-instance, training-job...
    name: str
    after: str  # the operation, e.g. ``ListEndpoints``
    params: dict[str, Any] = field(default_factory=dict)  # request parameters that must match, if any
    service: str = "sagemaker"
    region: str | None = None
    account: str | None = None
    done: bool = field(default=False, init=False)

    def matches(self, request: RequestInfo, params: dict[str, Any]) -> bool:
        """Whether the request is the one after which the resource goes."""
        return (
            not self.done
            and (self.service, self.after) == (request.service, request.operation)
            and (self.region is None or self.region == request.region)
            and (self.account is None or self.account == request.account)
            and all(params.get(k) == v for k, v in self.params.items())
        )


class FaultInjector:
    """The faults and latency a :class:`~sagetrim.sim.server.SimServer` applies, safe across threads.

    Args:
        seed: seed of the generator that decides probabilistic faults.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._vanishings: list[Vanishing] = []
        self._latency: dict[str | None, float] = {}
        self._random = random.Random(seed)

    def seed(self, seed: int) -> None:
        """Reseed the generator behind probabilistic faults."""
        with self._lock:
            self._random.seed(seed)

    def add(
        self,
        code: str,
        *,
        status: int = 400,
        message: str | None = None,
        service: str | None = None,
        operation: str | None = None,
        region: str | None = None,
        account: str | None = None,
        params: dict[str, Any] | None = None,
        times: int | None = None,
        probability: float = 1.0,
        skip: int = 0,
        kill: Kill | None = None,
        applied: bool = False,
    ) -> Fault:
        """Return ``code`` with ``status`` to the matching requests.

        Args:
            code: the AWS error code botocore will report.
            status: the HTTP status.
            message: the error message; a generic one naming the code by default.
            service: boto3 client name to match.
            operation: operation name to match, e.g. ``ListEndpoints``.
            region: region to match.
            account: account id to match.
            params: request parameters to match, e.g. ``{"EndpointName": "a"}`` (JSON-protocol requests).
            times: fire this many times, then stop; ``None`` fires until removed.
            probability: chance that a matching request fails.
            skip: let the first ``skip`` matching requests through (fail the third: ``skip=2, times=1``).
            kill: instead of an error, the client dies (raises :class:`SimulatedKill`) ``before`` the
                request is carried out or ``after`` it (the change is made, the answer is lost).
            applied: carry the request out, then send the error instead of its answer (a lost answer).

        Returns:
            The fault, whose ``fired`` counter tells how often it fired.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {probability}")
        if times is not None and times < 0:
            raise ValueError(f"times must not be negative, got {times}")
        if skip < 0:
            raise ValueError(f"skip must not be negative, got {skip}")
        fault = Fault(
            code=code,
            status=status,
            message=message or f"Simulated {code}",
            service=service,
            operation=operation,
            region=region,
            account=account,
            times=times,
            probability=probability,
            skip=skip,
            kill=kill,
            applied=applied or kill == "after",
            params=dict(params) if params else None,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def kill(self, when: Kill, **match: Unpack[FaultMatch]) -> Fault:
        """The process dies ``before`` or ``after`` the matching request is carried out (once by default)."""
        args: FaultMatch = {"times": 1, "message": f"process killed {when} the request"}
        args.update(match)
        return self.add(KILL_CODE, status=400, kill=when, **args)

    @property
    def fired_total(self) -> int:
        """How many times the faults in force have fired, all together."""
        with self._lock:
            return sum(f.fired for f in self._faults)

    def throttle(self, **match: Unpack[FaultMatch]) -> Fault:
        """``ThrottlingException`` (HTTP 400, "Rate exceeded"), which botocore retries."""
        return self._preset("ThrottlingException", 400, "Rate exceeded", match)

    def internal_error(self, **match: Unpack[FaultMatch]) -> Fault:
        """``InternalFailure`` (HTTP 500), which botocore retries."""
        message = "The request processing has failed because of an unknown error."
        return self._preset("InternalFailure", 500, message, match)

    def unavailable(self, **match: Unpack[FaultMatch]) -> Fault:
        """``ServiceUnavailable`` (HTTP 503), which botocore retries."""
        return self._preset("ServiceUnavailable", 503, "Service is unavailable.", match)

    def access_denied(self, **match: Unpack[FaultMatch]) -> Fault:
        """``AccessDeniedException`` (HTTP 400, as SageMaker sends it), which botocore does not retry."""
        message = "User is not authorized to perform this action"
        return self._preset("AccessDeniedException", 400, message, match)

    def deny(self, *, region: str | None = None, service: str | None = None) -> Fault:
        """Deny every request to ``region`` (and ``service``) as IAM does; see :class:`AccessDenial`."""
        fault = AccessDenial(code="AccessDeniedException", status=400, message="", service=service, region=region,
                             query_code="AccessDenied", query_status=403)  # fmt: skip
        with self._lock:
            self._faults.insert(0, fault)  # a denial comes before any probabilistic fault
        return fault

    def rates(self, *, throttle: float = 0.0, error: float = 0.0) -> list[Fault]:
        """Answer a share ``throttle`` of all requests with throttling and a share ``error`` with a 500,
        as AWS does under load: ``ThrottlingException`` (``Throttling`` for query services), HTTP 400, and
        ``InternalFailure``, HTTP 500; botocore retries both. The shares are of all requests, drawn once.

        Raises:
            ValueError: a share outside [0, 1], or shares that add up to more than 1.
        """
        for name, share in (("throttle", throttle), ("error", error)):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"the {name} rate must be within [0, 1], got {share}")
        if throttle + error > 1.0:
            raise ValueError(f"the throttle and error rates add up to {throttle + error:g}, more than 1")
        made: list[Fault] = []
        if throttle > 0:
            made.append(ProtocolFault(code="ThrottlingException", status=400, message="Rate exceeded",
                                      probability=throttle, query_code="Throttling"))  # fmt: skip
        if error > 0:
            # drawn only for the requests not throttled, so that it fails `error` of them all
            left = 1.0 - throttle
            made.append(ProtocolFault(code="InternalFailure", status=500, probability=min(1.0, error / left),
                                      message="The request processing has failed because of an unknown error."))
        with self._lock:
            self._faults.extend(made)
        return made

    def _preset(self, code: str, status: int, message: str, match: FaultMatch) -> Fault:
        args: FaultMatch = {"message": message}
        args.update(match)
        return self.add(code, status=status, **args)

    def vanish(self, kind: str, name: str, *, after: str, params: dict[str, Any] | None = None,
               region: str | None = None, account: str | None = None) -> Vanishing:
        """Delete a SageMaker resource right after the first matching request was answered.

        Args:
            kind: the resource's kind (``endpoint``, ``endpoint-config``, ``notebook-instance``,
                ``training-job``, ``hyper-parameter-tuning-job``, ``processing-job``, ``transform-job``).
            name: its name.
            after: the operation after whose answer it goes, e.g. ``ListEndpoints`` (gone between the list
                and the describe) or ``DescribeEndpoint`` (gone between two describes).
            params: request parameters the request must have, e.g. ``{"EndpointName": "a"}``.
            region: region to match.
            account: account id to match.

        Returns:
            The vanishing, whose ``done`` tells whether it happened.
        """
        vanishing = Vanishing(kind, name, after, dict(params or {}), region=region, account=account)
        with self._lock:
            self._vanishings.append(vanishing)
        return vanishing

    def vanishing(self, request: RequestInfo, params: dict[str, Any]) -> list[Vanishing]:
        """The vanishings due after ``request`` is answered, marked done."""
        with self._lock:
            due = [v for v in self._vanishings if v.matches(request, params)]
            for v in due:
                v.done = True
        return due

    def remove(self, fault: Fault) -> None:
        """Stop injecting ``fault``."""
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    @property
    def faults(self) -> list[Fault]:
        """The faults in force, in the order they are tried."""
        with self._lock:
            return list(self._faults)

    def set_latency(self, seconds: float, *, service: str | None = None) -> None:
        """Delay every request (or every request to ``service``) by ``seconds`` before answering."""
        if seconds < 0:
            raise ValueError(f"latency must not be negative, got {seconds}")
        with self._lock:
            self._latency[service] = seconds

    def latency_for(self, service: str) -> float:
        """The delay for a request to ``service``: its own setting, else the global one, else 0."""
        with self._lock:
            if service in self._latency:
                return self._latency[service]
            return self._latency.get(None, 0.0)

    def clear(self) -> None:
        """Remove every fault, vanishing and latency setting."""
        with self._lock:
            self._faults.clear()
            self._latency.clear()
            self._vanishings.clear()

    def pick(self, request: RequestInfo, params: dict[str, Any] | None = None) -> Fault | None:
        """Return the first fault that fires for ``request`` (with its parameters), counting the firing."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(request, params):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None


StoreOperation = Literal["put_json", "get_json", "list_keys", "append_record", "read_stream"]
StoreEffect = Literal["error", "corrupt", "kill-before", "kill-after"]


@dataclass
class StoreFault:
    """A failure of one state-store operation on keys (or streams) starting with ``prefix``."""

    operation: StoreOperation
    effect: StoreEffect
    prefix: str = ""
    skip: int = 0
    times: int | None = 1
    fired: int = field(default=0, init=False)
    seen: int = field(default=0, init=False)

    def fires(self, operation: str, key: str) -> bool:
        """Count a matching call and say whether this one fails."""
        if operation != self.operation or not key.startswith(self.prefix):
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.fired += 1
        return True


class FaultyStore(StateStore):
    """A state store that fails where told: a write or read that errors (as a full disk or a denied bucket
    would), a read-back that differs from what was written, or a process killed before or after an operation.

    Args:
        inner: the store that does the real work.
    """

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self.faults: list[StoreFault] = []
        self.calls: list[tuple[StoreOperation, str]] = []  # every operation asked of the store, in order
        self._lock = threading.Lock()

    def fail(self, operation: StoreOperation, effect: StoreEffect = "error", *, prefix: str = "", skip: int = 0,
             times: int | None = 1) -> StoreFault:
        """Add a fault; see :class:`StoreFault`."""
        fault = StoreFault(operation, effect, prefix, skip, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    @property
    def fired_total(self) -> int:
        """How many times the faults have fired, all together."""
        with self._lock:
            return sum(f.fired for f in self.faults)

    def _pick(self, operation: StoreOperation, key: str) -> StoreFault | None:
        with self._lock:
            self.calls.append((operation, key))
            return next((f for f in self.faults if f.fires(operation, key)), None)

    def _before(self, fault: StoreFault | None, operation: str, key: str) -> None:
        if fault is None:
            return
        if fault.effect == "error":
            raise StoreError(f"could not {operation} {self.inner.location(key)}: No space left on device")
        if fault.effect == "kill-before":
            raise SimulatedKill(f"killed before {operation} {key}")

    @staticmethod
    def _after(fault: StoreFault | None, operation: str, key: str) -> None:
        if fault is not None and fault.effect == "kill-after":
            raise SimulatedKill(f"killed after {operation} {key}")

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        fault = self._pick("put_json", key)
        self._before(fault, "write", key)
        self.inner.put_json(key, doc)
        self._after(fault, "write", key)

    def get_json(self, key: str) -> dict[str, Any] | None:
        fault = self._pick("get_json", key)
        self._before(fault, "read", key)
        doc = self.inner.get_json(key)
        self._after(fault, "read", key)
        if fault is not None and fault.effect == "corrupt" and doc is not None:
            doc = {**doc, "corrupted": True}
        return doc

    def list_keys(self, prefix: str) -> list[str]:
        fault = self._pick("list_keys", prefix)
        self._before(fault, "list", prefix)
        return self.inner.list_keys(prefix)

    def append_record(self, stream: str, record: dict[str, Any], when: datetime, *, once: str | None = None) -> bool:
        fault = self._pick("append_record", stream)
        self._before(fault, "append to", stream)
        written = self.inner.append_record(stream, record, when, once=once)
        self._after(fault, "append to", stream)
        return written

    def read_stream(self, stream: str, since: datetime | None = None) -> StreamRead:
        fault = self._pick("read_stream", stream)
        self._before(fault, "read", stream)
        return self.inner.read_stream(stream, since)

    def location(self, key: str = "") -> str:
        return self.inner.location(key)

    def stream_location(self, stream: str) -> str:
        return self.inner.stream_location(stream)
