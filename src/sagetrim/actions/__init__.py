"""Acting on findings: stop notebooks, delete idle endpoints after a backup (and restore them), tag,
notify; dry run by default, with guards, re-checks and an audit journal.

The commands call one function each: `sagetrim act` → :func:`carry_out` (wrap the outcomes in
:class:`ActReport`), `sagetrim restore` → :func:`restore`, `sagetrim journal` → :func:`read_journal`.
"""

from sagetrim.actions.backup import EndpointNotFound, backup_endpoint, snapshot_endpoint
from sagetrim.actions.executor import (
    ACTIONS,
    ActReport,
    Outcome,
    Recheck,
    SessionFor,
    carry_out,
    required_permissions,
)
from sagetrim.actions.journal import Journal, JournalEntry, JournalReport, read_journal
from sagetrim.actions.notify import NotifySettings, post_webhook, publish_sns, render_text, slack_payload
from sagetrim.actions.restore import RestoreResult, latest_backup, list_backups, restore, restore_endpoint
from sagetrim.actions.state import LocalStore, S3Store, StateStore, StoreError, default_state_dir, open_store

__all__ = [
    "ACTIONS",
    "ActReport",
    "EndpointNotFound",
    "Journal",
    "JournalEntry",
    "JournalReport",
    "LocalStore",
    "NotifySettings",
    "Outcome",
    "Recheck",
    "RestoreResult",
    "S3Store",
    "SessionFor",
    "StateStore",
    "StoreError",
    "backup_endpoint",
    "carry_out",
    "default_state_dir",
    "latest_backup",
    "list_backups",
    "open_store",
    "post_webhook",
    "publish_sns",
    "read_journal",
    "render_text",
    "required_permissions",
    "restore",
    "restore_endpoint",
    "slack_payload",
    "snapshot_endpoint",
]
