"""The simulated account's clock: the time moto stamps on resources and the sim's own handlers read.

moto takes "now" from ``moto.core.utils.utcnow``, which its service modules import by name. Installing a
:class:`SimClock` rebinds that name in the SageMaker and CloudWatch modules, so creation and modification
times follow the sim clock while ``time.time()`` and every other clock in the process stay real. STS and
IAM keep real time on purpose: clients compare credential expiry with their own clock.
"""

from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime, timedelta

from sagetrim.sim.moto_patch import replace

__all__ = ["SimClock", "active_clock", "install", "now", "to_naive_utc", "uninstall", "utcnow"]

# moto modules whose ``utcnow`` follows the sim clock.
PATCHED_MODULES = ("moto.sagemaker.models", "moto.cloudwatch.models")


def _as_utc(dt: datetime) -> datetime:
    """Read a naive datetime as UTC and convert an aware one to UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_naive_utc(dt: datetime) -> datetime:
    """Convert to the naive UTC form moto stores; a naive ``dt`` is taken to be UTC already."""
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


class SimClock:
    """A UTC clock that follows real time until it is set, then stands still until advanced.

    ``set(dt)`` freezes the clock at ``dt`` (so tests are repeatable); ``set(dt, frozen=False)`` lets it
    run on from ``dt`` at real speed. ``advance(delta)`` moves it in either state; ``reset()`` returns it
    to real time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the sim time as an aware UTC datetime."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def utcnow(self) -> datetime:
        """Return the sim time as a naive UTC datetime, the form moto stores."""
        return self.now().replace(tzinfo=None)

    def set(self, dt: datetime, *, frozen: bool = True) -> None:
        """Set the sim time; a naive ``dt`` is read as UTC.

        Args:
            dt: the new sim time.
            frozen: stand still at ``dt`` until advanced, or run on from it at real speed.
        """
        target = _as_utc(dt)
        with self._lock:
            if frozen:
                self._frozen_at = target
            else:
                self._frozen_at = None
                self._offset = target - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the sim time forward (or back, with a negative ``delta``)."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        """Follow real time again."""
        with self._lock:
            self._frozen_at = None
            self._offset = timedelta(0)

    @property
    def is_real(self) -> bool:
        """Whether the clock reads real time."""
        with self._lock:
            return self._frozen_at is None and self._offset == timedelta(0)


_installed: list[SimClock] = []  # the last one is active
_patch_lock = threading.Lock()
_patched: set[str] = set()


def _sim_utcnow() -> datetime:
    """The ``utcnow`` that patched moto modules call."""
    clock = active_clock()
    if clock is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return clock.utcnow()


def install(clock: SimClock) -> None:
    """Make ``clock`` the time source of moto's SageMaker and CloudWatch models and of the sim.

    Idempotent. moto's state is process-wide, so one clock is active at a time: the one installed last.
    """
    with _patch_lock:
        if clock in _installed:
            _installed.remove(clock)
        _installed.append(clock)
        for name in PATCHED_MODULES:
            if name in _patched:
                continue
            replace(importlib.import_module(name), "utcnow", _sim_utcnow)
            _patched.add(name)


def uninstall(clock: SimClock) -> None:
    """Stop using ``clock``; the clock installed before it (or real time) takes over."""
    with _patch_lock:
        if clock in _installed:
            _installed.remove(clock)


def active_clock() -> SimClock | None:
    """Return the clock in use, if any."""
    try:
        return _installed[-1]
    except IndexError:
        return None


def now() -> datetime:
    """Return the sim time (aware UTC); real time when no clock is installed."""
    return _as_utc(_sim_utcnow())


def utcnow() -> datetime:
    """Return the sim time as a naive UTC datetime, like moto's ``utcnow``."""
    return _sim_utcnow()
