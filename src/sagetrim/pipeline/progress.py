"""How a run tells where it stands: plain events to a callback, which a terminal or a log may show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Step = Literal["start", "collect", "evaluate", "act"]


@dataclass(frozen=True)
class Progress:
    """`done` of `total` units of a step; the first event of a step has `done == 0`, the last
    `done == total`. A step that is not counted in units has a total of 1."""

    step: Step
    done: int
    total: int
    message: str

    @property
    def finished(self) -> bool:
        return self.done >= self.total


OnProgress = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """A callback that shows nothing."""


__all__ = ["OnProgress", "Progress", "Step", "ignore"]
