"""Studio's built-in idle shutdown: whether a JupyterLab or Code Editor app stops itself when idle.

`AppLifecycleManagement.IdleSettings` sits in the app type's settings (`JupyterLabAppSettings`,
`CodeEditorAppSettings`) at three levels: the domain's defaults (`DefaultUserSettings`, and
`DefaultSpaceSettings` for spaces), the user profile (`UserSettings`) and the space (`SpaceSettings`).
`LifecycleManagement` = `ENABLED` at the domain or the user profile turns it on (a user profile's own value
wins over the domain's); the timeout is the most specific `IdleTimeoutInMinutes` set (space, then user
profile, then domain). Other app types (KernelGateway, the free JupyterServer) have no idle shutdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["APP_SETTINGS", "idle_shutdown"]

APP_SETTINGS = {"JupyterLab": "JupyterLabAppSettings", "CodeEditor": "CodeEditorAppSettings"}


def _idle(settings: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    app = (settings or {}).get(key) or {}
    return (app.get("AppLifecycleManagement") or {}).get("IdleSettings") or {}


def idle_shutdown(app_type: str, domain: Mapping[str, Any] | None, user: Mapping[str, Any] | None,
                  space: Mapping[str, Any] | None) -> tuple[int | None, str] | None:
    """The idle timeout in minutes (None: on, with Studio's default timeout) and the level it comes from, or
    None when the app does not stop itself.

    Args:
        app_type: the app's `AppType`.
        domain: DescribeDomain's answer (None when not read).
        user: DescribeUserProfile's answer of the app's owner (or of its space's owner), if any.
        space: DescribeSpace's answer, for an app in a space.
    """
    key = APP_SETTINGS.get(app_type)
    if key is None:
        return None
    domain_levels = [_idle((domain or {}).get("DefaultUserSettings"), key)]
    if space is not None:
        domain_levels.insert(0, _idle((domain or {}).get("DefaultSpaceSettings"), key))
    user_idle = _idle((user or {}).get("UserSettings"), key)
    space_idle = _idle((space or {}).get("SpaceSettings"), key)
    switch = user_idle.get("LifecycleManagement") or next(
        (d["LifecycleManagement"] for d in domain_levels if d.get("LifecycleManagement")), None)
    if switch != "ENABLED":
        return None
    for level, found in (("space", space_idle), ("user profile", user_idle), *(("domain", d) for d in domain_levels)):
        minutes = found.get("IdleTimeoutInMinutes")
        if isinstance(minutes, int) and minutes > 0:
            return minutes, level
    return None, "user profile" if user_idle.get("LifecycleManagement") else "domain"
