"""Start and stop notebook instances and Studio apps on EventBridge-style schedules.

- :func:`parse_schedules` validates the ``schedules:`` section of ``sagetrim.yaml``;
- :func:`next_transitions` lists the coming starts and stops (``sagetrim schedule next``);
- :func:`run_schedules` starts and stops what should be started or stopped at a moment
  (``sagetrim schedule run``);
- :func:`utc_expression` covers a zoned expression with one in UTC, for EventBridge rules.
"""

from sagetrim.schedules.cron import CronExpression, InvalidExpression, RateExpression, parse_expression
from sagetrim.schedules.model import SCHEDULE_TAG, Schedule, ScheduleList, Targets, parse_schedules
from sagetrim.schedules.planner import Decision, Target, Transition, next_transitions, parse_moment, plan
from sagetrim.schedules.runner import PERMISSIONS, ClientFor, RegionError, RunReport, run_schedules, session_clients
from sagetrim.schedules.utc import utc_expression

__all__ = [
    "PERMISSIONS",
    "SCHEDULE_TAG",
    "ClientFor",
    "CronExpression",
    "Decision",
    "InvalidExpression",
    "RateExpression",
    "RegionError",
    "RunReport",
    "Schedule",
    "ScheduleList",
    "Target",
    "Targets",
    "Transition",
    "next_transitions",
    "parse_expression",
    "parse_moment",
    "parse_schedules",
    "plan",
    "run_schedules",
    "session_clients",
    "utc_expression",
]
