"""Application Auto Scaling as AWS answers it, where moto differs.

- Deregistering a scalable target that is not registered answers ``ObjectNotFoundException`` ("No scalable
  target registered for ..."); moto answered a ``ValidationException`` that reads like any bad request.
- Deregistering a target deletes its scaling policies and scheduled actions with it, as AWS documents;
  moto left them behind, listed under a target that no longer exists.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from sagetrim.sim.moto_patch import existing, replace

__all__ = ["apply"]

_lock = threading.Lock()
_applied = False


def apply() -> None:
    """Patch moto's Application Auto Scaling. Idempotent."""
    global _applied
    with _lock:
        if _applied:
            return
        _patch_deregister()
        _applied = True


def _patch_deregister() -> None:
    from moto.core.exceptions import JsonRESTError

    models: Any = importlib.import_module("moto.applicationautoscaling.models")
    backend = models.ApplicationAutoscalingBackend
    deregister = existing(backend, "deregister_scalable_target")
    target_exists = existing(backend, "_scalable_target_exists")

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        if not target_exists(self, r_id, dimension):
            raise JsonRESTError("ObjectNotFoundException",
                                f"No scalable target registered for service namespace: {namespace}, resource ID: "
                                f"{r_id}, scalable dimension: {dimension}")
        deregister(self, namespace, r_id, dimension)
        for key, policy in list(existing(self, "policies").items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id,
                                                                                           dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [a for a in existing(self, "scheduled_actions")
                                  if (a.service_namespace, a.resource_id, a.scalable_dimension)
                                  != (namespace, r_id, dimension)]

    replace(backend, "deregister_scalable_target", deregister_scalable_target)
