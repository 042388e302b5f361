"""The notebook autostop: the on-instance agent, its lifecycle configuration and its installation.

`autostop.py` is the agent itself: a standalone file that runs on the notebook instance and imports
nothing from sagetrim. The other modules render and install it.
"""

from sagetrim.agent.install import (
    DEFAULT_CONFIG_NAME,
    InstallPlan,
    WaitPolicy,
    apply_install,
    installer_policy,
    notebook_role_policy,
    plan_install,
)
from sagetrim.agent.lifecycle import CONTENT_LIMIT, AgentOptions, agent_source, encode_content, render_on_start

__all__ = [
    "CONTENT_LIMIT",
    "DEFAULT_CONFIG_NAME",
    "AgentOptions",
    "InstallPlan",
    "WaitPolicy",
    "agent_source",
    "apply_install",
    "encode_content",
    "installer_policy",
    "notebook_role_policy",
    "plan_install",
    "render_on_start",
]
