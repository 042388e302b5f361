"""Scheduled starts and stops in the audit journal, beside the actions `act` takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sagetrim.actions.journal import Journal, JournalEntry

VERBS = {"StartNotebookInstance": "start-notebook", "StopNotebookInstance": "stop-notebook",
         "DeleteApp": "stop-studio-app"}


def journal_recorder(journal: Journal, account: str, dry_run: bool) -> Callable[[Any], None]:
    """An `on_action` callback for `run_schedules` that records each decision acted on."""

    def record(decision: Any) -> None:
        target = decision.target
        journal.record(JournalEntry(
            time=datetime.now(UTC), action=VERBS.get(str(decision.operation), str(decision.operation)),
            rule=f"schedule:{decision.schedule}", finding_id="", account=account, region=target.region,
            kind=target.kind, name=target.name, arn=target.arn, outcome=decision.outcome, reason=decision.reason,
            monthly_savings_usd=0.0, backup=None, dry_run=dry_run))

    return record
