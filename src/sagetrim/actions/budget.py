"""A time budget for the actions of one run: start no action that will not fit, and let no retrying call
run past the end.

An action's cost is estimated from the actions done so far: the slowest of them (throttling retries
included, since they are part of its wall-clock time) times a safety factor. A run stops starting actions
when that estimate no longer fits in what is left of the budget less a margin kept for the journal and the
summary. Within an action, botocore's retries stop when a further backoff might end past the budget (see
:meth:`guard`), but only up to the change itself: what follows a change (deregistering autoscaling targets)
is never cut off, so no action is left half done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sagetrim.errors import ActionError

__all__ = ["BudgetExhausted", "TimeBudget"]

SAFETY = 1.5  # an action's estimate: the slowest one so far, times this
# The calls an action makes before (and including) its change; retries of these stop at the budget's end.
_GUARDED = ("needs-retry.sagemaker",
            "needs-retry.application-auto-scaling.DescribeScalableTargets",
            "needs-retry.application-auto-scaling.DescribeScalingPolicies")
# botocore sleeps up to this long before a retry (its exponential backoff's cap, in standard and adaptive mode).
MAX_BACKOFF_S = 20.0


class BudgetExhausted(ActionError):
    """The time budget ran out while a call was being retried; the call was not sent again."""


@dataclass
class TimeBudget:
    """How much time is left for the run's actions.

    Args:
        remaining: seconds left in the whole run (from a deadline, or a Lambda context).
        margin_s: seconds kept back at the end for the journal and the summary.
        describe: how the budget is named in messages (``--time-budget 5m``, ``the Lambda's timeout``).
        clock: the clock that times the actions, in seconds (the same one ``remaining`` counts down on).
    """

    remaining: Callable[[], float]
    margin_s: float
    describe: str
    clock: Callable[[], float] = time.monotonic
    durations: list[float] = field(default_factory=list)

    @classmethod
    def seconds(cls, total_s: float, *, margin_s: float | None = None, describe: str | None = None,
                clock: Callable[[], float] = time.monotonic) -> TimeBudget:
        """A budget of ``total_s`` seconds from now (the margin defaults to 5 % of it, at least 2 s)."""
        deadline = clock() + total_s
        return cls(lambda: deadline - clock(), max(2.0, 0.05 * total_s) if margin_s is None else margin_s,
                   describe or f"the time budget of {total_s:g} s", clock)

    @classmethod
    def from_lambda(cls, context: Any, margin_s: float) -> TimeBudget | None:
        """The remaining time of a Lambda invocation, or None when the context does not tell it."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if not callable(remaining):
            return None
        return cls(lambda: float(remaining()) / 1000.0, margin_s, "the Lambda function's timeout")

    def left(self) -> float:
        """Seconds left for actions (the margin taken off)."""
        return self.remaining() - self.margin_s

    def estimate(self) -> float:
        """Seconds the next action is expected to take at most: 0 before any has run."""
        return max(self.durations, default=0.0) * SAFETY

    def why_not(self) -> str | None:
        """Why no further action should start now, or None when the next one fits."""
        left, estimate = self.left(), self.estimate()
        if left > 0 and left >= estimate:
            return None
        slowest = (f"; the slowest action so far took {max(self.durations):.1f} s, so the next is expected to take "
                   f"up to {estimate:.1f} s" if self.durations else "")
        return (f"left for the next run: {max(left, 0.0):.1f} s of {self.describe} remain (less {self.margin_s:g} s "
                f"kept for the journal){slowest}")

    def timed(self, seconds: float) -> None:
        """Count the wall-clock time an action took (its retries included)."""
        self.durations.append(seconds)

    def guard(self, client: Any) -> None:
        """Make ``client`` give up retrying when a retry (botocore's backoff, up to :data:`MAX_BACKOFF_S`, and
        the call) might end past the budget: the call raises :class:`BudgetExhausted` instead of sleeping.
        Answers that are not retried (success, not found, denied) pass as they are."""
        from botocore.retries.standard import RetryEventAdapter, StandardRetryConditions

        adapter, retryable = RetryEventAdapter(), StandardRetryConditions(max_attempts=1_000)

        def check(**kwargs: Any) -> None:
            if self.left() >= MAX_BACKOFF_S or not retryable.is_retryable(adapter.create_retry_context(**kwargs)):
                return
            attempts = kwargs.get("attempts", 1)
            raise BudgetExhausted(f"{self.describe} would not fit another retry of {kwargs['operation'].name} "
                                  f"(throttled or failing after {attempts} attempt(s)); the call was not sent again")

        for event in _GUARDED:
            client.meta.events.register_first(event, check)
