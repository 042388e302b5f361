"""The opt-out tag: a resource tagged with it gets no finding, no action and no scheduled start or stop."""

from __future__ import annotations

EXCLUDE_TAG = ("sagetrim:exclude", "true")

__all__ = ["EXCLUDE_TAG"]
