"""Start a complete simulated account: the server, its Price List API, and a generated fleet."""

from __future__ import annotations

from pathlib import Path

from sagetrim.errors import UsageError
from sagetrim.sim import pricing
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
