"""Start a complete simulated account: the server, its Price List API, and a generated fleet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sagetrim.errors import UsageError
from sagetrim.sim import pricing
from sagetrim.sim.faults import parse_denial
from sagetrim.sim.fleet import FleetSummary, Scenario, build_fleet, demo_scenario, load_scenario
from sagetrim.sim.server import SimServer

PRESETS = {"demo": demo_scenario}


def scenario_from(preset: str | None = None, scenario_file: Path | None = None) -> Scenario | None:
    """The scenario a user asked for: a file, a named preset, or None for an empty account."""
    if scenario_file is not None and preset is not None:
        raise UsageError("give either --scenario FILE or --preset NAME, not both.")
    if scenario_file is not None:
        return load_scenario(scenario_file)
    if preset is None:
        return None
    if preset not in PRESETS:
        raise UsageError(f"unknown preset {preset!r}; the presets are: {', '.join(PRESETS)}.")
    return PRESETS[preset]()


def start_account(scenario: Scenario | None, port: int = 0) -> tuple[SimServer, FleetSummary]:
    """A running sim with the Price List API and the scenario's fleet; the caller stops it."""
    server = SimServer(port=port)
    try:
        server.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on port {port}: {exc.strerror or exc}; pick another with --port.") from None
    try:
        server.register_json_service("pricing", pricing.handle)
        summary = build_fleet(server, scenario) if scenario is not None else FleetSummary()
    except BaseException:
        server.stop()
        raise
    return server, summary


@dataclass(frozen=True)
class ServeFaults:
    """What ``sim serve`` makes the account suffer: latency, throttling, server errors, denied regions.

    Attributes:
        latency_ms: delay before every answer.
        throttle_rate: share of requests answered with throttling (HTTP 400).
        error_rate: share of requests answered with InternalFailure (HTTP 500).
        deny: ``REGION`` or ``REGION:SERVICE`` whose every request IAM denies.

    Raises:
        UsageError: a negative latency, a rate outside [0, 1], rates adding up to more than 1, or a
            malformed ``deny``.
    """

    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    deny: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise UsageError("--latency-ms must not be negative.")
        for flag, rate in (("--throttle-rate", self.throttle_rate), ("--error-rate", self.error_rate)):
            if not 0.0 <= rate <= 1.0:
                raise UsageError(f"{flag} is a share of requests between 0 and 1, not {rate:g}.")
        if self.throttle_rate + self.error_rate > 1.0:
            raise UsageError(f"--throttle-rate and --error-rate add up to {self.throttle_rate + self.error_rate:g}; "
                             "together they can fail at most every request (1).")
        self.denials()

    def denials(self) -> list[tuple[str, str | None]]:
        """(region, service or None) of each ``deny``."""
        try:
            return [parse_denial(text) for text in self.deny]
        except ValueError as exc:
            raise UsageError(f"--deny: {exc}.") from None


def apply_faults(server: SimServer, faults: ServeFaults) -> list[str]:
    """Put ``faults`` in force on a running sim; return one line per fault, to print."""
    server.faults.rates(throttle=faults.throttle_rate, error=faults.error_rate)
    lines = []
    if faults.latency_ms:
        server.faults.set_latency(faults.latency_ms / 1000)
        lines.append(f"every answer delayed {faults.latency_ms:g} ms")
    if faults.throttle_rate:
        lines.append(f"{faults.throttle_rate:.0%} of requests throttled (ThrottlingException, HTTP 400)")
    if faults.error_rate:
        lines.append(f"{faults.error_rate:.0%} of requests failing (InternalFailure, HTTP 500)")
    for region, service in faults.denials():
        server.faults.deny(region=region, service=service)
        lines.append(f"{service or 'every service'} in {region} denied (AccessDeniedException, HTTP 400; "
                     f"AccessDenied, HTTP 403, from query services such as STS)")
    return lines
