"""Count the AWS API calls a run makes: the cost of a scan is its calls."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class CallCounter:
    """Counts every API request (retries included) per "service:Operation", across threads."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, client: Any) -> Any:
        """Count the requests `client` sends; returns the client."""
        service = client.meta.service_model.service_name
        # request-created fires once per attempt, so retries count as the requests they are.
        client.meta.events.register(f"request-created.{client.meta.service_model.service_id.hyphenize()}.*",
                                    lambda event_name, **_: self._count(service, event_name.rsplit(".", 1)[-1]))
        return client

    def count(self, service: str, operation: str) -> None:
        """Count a request made by a client this counter is not attached to."""
        self._count(service, operation)

    def _count(self, service: str, operation: str) -> None:
        with self._lock:
            self._counts[f"{service}:{operation}"] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())
