"""Latency and injected AWS errors for the simulated account.

A :class:`Fault` matches requests by service (boto3 client name: ``sagemaker``, ``cloudwatch``, ``sts``),
operation, region and account; any criterion left ``None`` matches everything. It fires every time, a
fixed number of times, or with a probability drawn from a seeded generator, and the server renders it in
the wire format of the request's protocol so that botocore raises a ``ClientError`` with the fault's code
(and retries it where botocore would: throttling, 500 and 503).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict, Unpack

if TYPE_CHECKING:
    from sagetrim.sim.wire import RequestInfo

__all__ = ["Fault", "FaultInjector", "FaultMatch"]


class FaultMatch(TypedDict, total=False):
    """The optional arguments of the preset faults: what to match, how often, and the message."""

    service: str | None
    operation: str | None
    region: str | None
    account: str | None
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
    fired: int = field(default=0, init=False)

    def matches(self, request: RequestInfo) -> bool:
        """Whether the request falls under this fault's criteria (ignoring times and probability)."""
        return (
            (self.service is None or self.service == request.service)
            and (self.operation is None or self.operation == request.operation)
            and (self.region is None or self.region == request.region)
            and (self.account is None or self.account == request.account)
        )

    @property
    def exhausted(self) -> bool:
        """Whether the fault has fired as many times as it was allowed to."""
        return self.times is not None and self.fired >= self.times


class FaultInjector:
    """The faults and latency a :class:`~sagetrim.sim.server.SimServer` applies, safe across threads.

    Args:
        seed: seed of the generator that decides probabilistic faults.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
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
        times: int | None = None,
        probability: float = 1.0,
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
            times: fire this many times, then stop; ``None`` fires until removed.
            probability: chance that a matching request fails.

        Returns:
            The fault, whose ``fired`` counter tells how often it fired.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {probability}")
        if times is not None and times < 0:
            raise ValueError(f"times must not be negative, got {times}")
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
        )
        with self._lock:
            self._faults.append(fault)
        return fault

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

    def _preset(self, code: str, status: int, message: str, match: FaultMatch) -> Fault:
        args: FaultMatch = {"message": message}
        args.update(match)
        return self.add(code, status=status, **args)

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
        """Remove every fault and every latency setting."""
        with self._lock:
            self._faults.clear()
            self._latency.clear()

    def pick(self, request: RequestInfo) -> Fault | None:
        """Return the first fault that fires for ``request``, counting the firing."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(request):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None
