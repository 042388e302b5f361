"""Mutation testing of the safety decisions: flip a decision in the code, and a test must fail.

The code that deletes, stops or decides "idle" (the actions, the idle rules, the opt-out check, the
autostop agent's idle decision, guardrail evaluation and the right-sizing tie-break) is mutated one
change at a time by cosmic-ray, and each mutant runs only the test files that exercise its target.
Not run in CI: it takes minutes to hours, depending on the targets and the machine.

    nice -n 15 .venv/bin/python benchmarks/mutation.py [--jobs 1] [--only NAME ...] [--list]

It needs `pip install cosmic-ray`. Each target is mutated in a private copy of `src/` and `tests/`
under a temporary directory (put first on PYTHONPATH), so the working tree and its editable install
are never touched and two targets can run side by side (`--jobs 2`, the most it allows).

Why cosmic-ray rather than mutmut: mutmut 3 rewrites every function into a trampoline inside a
`mutants/` copy and maps tests to functions by running the whole suite once, which fights this
project's src/ layout and editable install and costs a full-suite run before the first mutant;
cosmic-ray mutates one file in place, takes one plain test command per session (so a target runs
only its own test files) and records which function each mutant is in, so a target can be narrowed
to the functions that decide.

Mutants are a curated set of decision flips, one or two per site rather than every operator swap:
comparisons flipped at the boundary (`<` to `<=`, `>=` to `>`) and in sense (`==` to `!=`, `is` to
`is not`), `not` added to conditions and removed from expressions, `and`/`or` swapped, `True`/`False`
swapped, numbers moved by one, loops made to run zero times, `break`/`continue` swapped, caught
exceptions replaced, and one inverse per arithmetic operator (`+` to `-`, `*` to `/`). Mutants inside
type annotations are dropped (with postponed annotations they change nothing), and so are removed
decorators (`@dataclass`, `@abstractmethod`: structure, not decisions).

Survivors that are equivalent (no behaviour can tell them apart) or harmless are listed in
`EXPLAINED` below with the reason, keyed by file, function and the mutated line; the report counts
them apart from the unexplained survivors, which each need a new test.
"""

from __future__ import annotations

import argparse
import ast
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "src/sagetrim"


@dataclass(frozen=True)
class Target:
    """Modules to mutate (optionally only some functions) and the test files that exercise them.

    A module that does not exist (moved or not there yet) is skipped with a note, so the list can name
    both the old and the new home of code that is moving.
    """

    name: str
    modules: tuple[str, ...]  # paths under src/sagetrim/
    tests: tuple[str, ...]  # paths under tests/
    functions: tuple[str, ...] = ()  # only mutants inside these functions (any class); empty: all


# The target list: edit here when code moves.
TARGETS: tuple[Target, ...] = (
    Target("executor", ("actions/executor.py",),
           ("actions/test_executor.py", "actions/test_executor_edges.py", "actions/test_remove_variant.py",
            "test_act.py", "test_opt_out_tag.py", "test_act_async_endpoint.py"),
           functions=("recheck_reason", "applies_to", "apply", "_guard", "_deregister_targets", "carry_out",
                      "_outcome", "record", "_as_now", "_back_up_then_recheck")),
    Target("idle-variant", ("rules/idle_variant.py",),
           ("rules/test_idle_variant_decisions.py", "rules/test_idle_variant.py", "actions/test_remove_variant.py"),
           functions=("_candidates", "evaluate", "recheck")),
    Target("backup", ("actions/backup.py",), ("actions/test_backup.py",)),
    Target("restore", ("actions/restore.py",),
           ("actions/test_restore_details.py", "actions/test_restore.py", "actions/test_restore_checks.py",
            "actions/test_remove_variant.py")),
    Target("common", ("actions/common.py",),
           ("actions/test_tags.py", "actions/test_executor.py", "actions/test_restore_details.py",
            "actions/test_restore.py"),
           functions=("settable_tags", "fit_shape", "request_from")),
    Target("not-found", ("aws/errors.py",), ("aws/test_errors.py", "sim/test_not_found.py")),
    Target("optout", ("optout.py", "rules/engine.py", "pipeline/scan.py"),
           ("test_optout.py", "test_opt_out_tag.py", "test_enrich_regions.py", "rules/test_notebook_rules.py",
            "rules/test_idle_endpoint.py"),
           functions=("opts_out", "is_excluded", "opted_out_arns", "enrich_region", "enrich")),
    Target("idle-endpoint", ("rules/idle_endpoint.py",),
           ("rules/test_idle_endpoint_decisions.py", "rules/test_idle_endpoint_history.py",
            "rules/test_idle_endpoint.py", "test_act_async_endpoint.py", "test_act.py")),
    Target("idle-notebook", ("rules/idle_notebook.py", "rules/left_running.py"),
           ("rules/test_idle_notebook.py", "rules/test_notebook_rules.py", "rules/test_notebook_decisions.py"),
           functions=("evaluate", "left_on", "monthly_saving")),
    Target("notebook-without-autostop", ("rules/notebook_without_autostop.py", "rules/autostop_detect.py"),
           ("rules/test_autostop_detect.py", "rules/test_notebook_rules.py", "rules/test_notebook_decisions.py"),
           functions=("evaluate", "verdict", "command_stops", "runs_stop", "file_stops", "text_stops",
                      "cron_entries", "unit_commands", "systemctl", "install_crontab", "execute", "run_file",
                      "_python_stops")),
    Target("studio-idle-app", ("rules/studio_idle_app.py", "rules/left_running.py"),
           ("rules/test_studio_idle_app.py", "rules/test_studio_idle_app_decisions.py"),
           functions=("evaluate", "left_on", "monthly_saving")),
    Target("autostop", ("agent/autostop.py",),
           ("agent/test_agent_decision.py", "agent/test_agent_unit.py", "agent/test_agent_safety.py"),
           functions=("parse_time", "busy_processes", "assess", "stop_instance", "run", "_minutes")),
    Target("guardrails", ("guardrails/evaluate.py",), ("guardrails/test_evaluate.py",),
           functions=("glob_match", "arn_match", "_matches", "_request_values", "condition_holds", "_lookup",
                      "statement_applies", "evaluate", "_glob", "_parse_operator", "_operator")),
    Target("sizing-choice", ("rules/sizing.py", "rules/sizing/choice.py"),
           ("rules/test_sizing_choice.py", "test_rightsize_ties.py", "rules/test_sizing.py"),
           functions=("choose", "rank")),
)

# One or two flips per site, not every swap (see the module docstring).
OPERATORS = {
    *(f"core/ReplaceComparisonOperator_{a}_{b}" for a, b in (
        ("Lt", "LtE"), ("LtE", "Lt"), ("Gt", "GtE"), ("GtE", "Gt"), ("Eq", "NotEq"), ("NotEq", "Eq"),
        ("Is", "IsNot"), ("IsNot", "Is"))),
    *(f"core/ReplaceBinaryOperator_{a}_{b}" for a, b in (
        ("Add", "Sub"), ("Sub", "Add"), ("Mul", "Div"), ("Div", "Mul"), ("FloorDiv", "Mul"), ("Mod", "FloorDiv"),
        ("Pow", "Mul"), ("BitAnd", "BitOr"), ("BitXor", "BitOr"))),
    "core/ReplaceUnaryOperator_USub_UAdd", "core/ReplaceUnaryOperator_Delete_Not",
    "core/AddNot", "core/ReplaceAndWithOr", "core/ReplaceOrWithAnd", "core/ReplaceTrueWithFalse",
    "core/ReplaceFalseWithTrue", "core/NumberReplacer", "core/ZeroIterationForLoop",
    "core/ReplaceBreakWithContinue", "core/ReplaceContinueWithBreak", "core/ExceptionReplacer",
}

# Survivors that no test can or should kill: (module path, function, mutated source line) -> why. The function
# is "" at module level (and for a decorator's arguments); the key covers every mutant on that line.
_DEPTH_BUDGET = ("the depth budget against files that run each other: a level more or less changes no verdict; "
                 "the circle test keeps it bounded")
_KEYWORD_ONLY = ("the keyword-only marker `*` made the positional-only `/`: every caller passes the arguments before "
                 "it by position and the rest by keyword, so every call means what it did")
_DEFAULT_WAIT = ("the default wait (30 min, asked every 15 s) moved by one second; how the wait follows its "
                 "values is specified with explicit ones (test_restore_details.py)")
EXPLAINED: dict[tuple[str, str, str], str] = {
    **{("rules/autostop_detect.py", function, line): _DEPTH_BUDGET for function, line in (
        ("command_stops", "def command_stops(self, text: str, seen: set[str], depth: int = 0) -> _Found | None:"),
        ("command_stops", "if depth > _MAX_DEPTH:"),
        ("runs_stop", "def runs_stop(self, args: list[str], seen: set[str], depth: int = 0) -> _Found | None:"),
        ("runs_stop", "return None if python else self.command_stops(code, seen, depth + 1)"),
        ("file_stops",
         "def file_stops(self, raw: str, args: list[str], seen: set[str], depth: int = 0) -> _Found | None:"),
        ("file_stops", "found = self.lookup(raw) if depth <= _MAX_DEPTH else None"),
        ("file_stops", "return self.file_stops(f.source, args, seen, depth + 1)"),
        ("text_stops", "return self.command_stops(text, seen, depth + 1) is not None"),
    )},
    ("rules/autostop_detect.py", "execute", "if name in _SHELLS and stdin is not None and stdin.chunks is not None:"):
        "reached only by a shell, `source` or `.` without an operand; `source` alone is an error in bash",
    ("actions/backup.py", "", "_TARGET_IDS_PER_CALL = 50  # DescribeScalableTargets takes at most 50 ResourceIds"):
        "an endpoint has at most 10 production variants, so its targets are asked for in one call whether a "
        "call takes 49, 50 or 51 ids",
    ("actions/restore.py", "_load_backup", "def _load_backup(store: StateStore, account: str, region: str, "
                                           "endpoint_name: str, key: str | None, *,"): _KEYWORD_ONLY,
    ("actions/restore.py", "restore", "def restore(session: boto3.Session, region: str, endpoint_name: str, *, "
                                      "store: StateStore,"): _KEYWORD_ONLY,
    ("actions/restore.py", "", "if TYPE_CHECKING:"):
        "the names used only in annotations imported at run time too; annotations are postponed, nothing reads them",
    ("actions/restore.py", "", "@dataclass(frozen=True)"):
        "RestoreResult left mutable: nothing assigns to a result once it is made, so no behaviour changes",
    ("actions/restore.py", "restore_endpoint", "wait_timeout_s: float = 1800, poll_s: float = 15, "
                                               "now: datetime | None = None) -> RestoreResult:"): _DEFAULT_WAIT,
    ("actions/restore.py", "restore", "wait_timeout_s: float = 1800) -> RestoreResult:"): _DEFAULT_WAIT,
    ("rules/sizing/choice.py", "choose", "params: SizingParams, *, min_count: int, max_count: int,"): _KEYWORD_ONLY,
    ("rules/sizing/choice.py", "rank", "return (round(o.usd_per_hour, 6), o.instance_type != current.name, o.count, "
                                       "o.instance_type)"):
        "rounding at 5, 6 or 7 places only absorbs float noise in price x count: with the bundled prices of every "
        "usage sizing weighs, at 1 to 10 instances, all three order every option the same",
    ("actions/executor.py", "carry_out", "def carry_out(findings: Iterable[Finding], *, session_for: SessionFor, "
                                         "store: StateStore, journal: Journal,"): _KEYWORD_ONLY,
    ("actions/executor.py", "record", "def record(i: int, result: _Result, *, journaled: bool = True) -> None:"):
        _KEYWORD_ONLY,
    ("actions/restore.py", "restore_endpoint", "status = \"Creating\" if current is None else \"Updating\""):
        "the fallback status is replaced by the endpoint's own status right after (DescribeEndpoint, or InService "
        "after the wait), so it is never reported",
    ("actions/executor.py", "apply", "RetainAllVariantProperties=True)"):
        "the new configuration already carries each kept variant's current instance count and weight (_as_now), "
        "so keeping or not keeping the variant properties gives the same endpoint; it only matters if autoscaling "
        "moves a variant between the backup and the update, which no test can time",
    ("actions/executor.py", "_as_now", "if current.get(\"CurrentInstanceCount\") and \"InstanceType\" in variant:"):
        "'or' differs only for a serverless variant that reports an instance count, which SageMaker never does "
        "(and an endpoint cannot mix serverless and instance variants)",
    ("actions/executor.py", "carry_out", "started = budget.clock() if budget is not None else 0.0"):
        "the 0.0 is taken only when there is no budget, and then nothing reads `started`",
    ("rules/idle_variant.py", "_candidates", "if (r.kind is not Kind.ENDPOINT or r.status != \"InService\" or "
                                            "len(r.variants) < 2"):
        "letting a one-variant endpoint through (< 1) changes no finding: its variant either served (nothing to "
        "remove) or did not (no production variant served, so evaluate leaves it to idle-endpoint); only its query "
        "is made in vain",
    ("rules/idle_variant.py", "_candidates", "or all(v.shadow for v in r.variants)):"):
        "an endpoint whose variants are all shadows (AWS allows none) has no production variant, so evaluate's "
        "'no production variant served' skip leaves it alone either way",
    ("agent/autostop.py", "parse_time",
     "t = float(calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0)))"):
        "calendar.timegm reads only the first six fields of its tuple: the weekday, day of the year and DST flag "
        "after them change nothing",
    ("agent/autostop.py", "busy_processes",
     'before, before_at = state.get("cpu", {}), float(state.get("cpu_at", 0.0))'):
        "the default time of the previous sample is read only for a state that has CPU samples without their "
        "time, which no run writes (run saves cpu and cpu_at together); 0, 1 or -1 s after 1970 alike would "
        "average over 56 years",
    ("agent/autostop.py", "_minutes", "value = -1.0"):
        "a text that is not a number stands for a value not above 0, so that one check refuses it: -2, -1 or 0 "
        "are refused alike, with the same message",
    **{("rules/idle_endpoint.py", function, line): (
        "zip's strict only tells a series whose timestamps and values differ in number; fetch_metrics fills both "
        "from the same results, which CloudWatch gives in pairs") for function, line in (
        ("_busy", "return [t if t.tzinfo else t.replace(tzinfo=UTC) for t, v in zip(series.timestamps, "
                  "series.values, strict=True)"),
        ("_recent", "return sum(v for t, v in zip(series.timestamps, series.values, strict=True)"),
    )},
    ("rules/idle_endpoint.py", "", "@dataclass(frozen=True)"):
        "Params and History left mutable: nothing assigns to either once made, and no instance is hashed (the "
        "settings cache keys on the Params class)",
    ("rules/idle_endpoint.py", "_rehost",
     "busy_per_month = len(seen.busy_hours) / max(observed_days, 1 / 24) * DAYS_PER_MONTH"):
        "the floor of an hour never binds: an endpoint is judged only once `hours` (at least 1) old, so it has been "
        "observed at least 1/24 day; a floor of 0 or 1/25 day changes nothing (a floor above an hour fails the test "
        "of the endpoint an hour old)",
    ("rules/idle_endpoint.py", "_rehost", "monthly = r.usd_per_hour * max(0.0, HOURS_PER_MONTH - busy_per_month)"):
        "the floor of the saving moved from 0 to -1 h: a saving below zero is dropped by the engine as a zero one "
        "is (it keeps findings that save at least a cent); a floor above zero fails the test of the recreated "
        "endpoint",
    ("rules/idle_endpoint.py", "recheck",
     'return f"could not recheck its invocations ({failed[0]}); not acting on an unknown"'):
        "with several failed queries the reason quotes one of them; which one changes no decision (the delete is "
        "refused either way)",
    ("guardrails/evaluate.py", "glob_match",
     "def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:"): _KEYWORD_ONLY,
    ("guardrails/evaluate.py", "evaluate", "def evaluate(request: Request, policies: Mapping[str, Mapping[str, Any]], "
                                           "*, subject: str | None = None) -> Decision:"): _KEYWORD_ONLY,
    ("guardrails/evaluate.py", "_glob", "def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:"):
        "the default is never used: glob_match, the only caller, always passes ignore_case",
    ("guardrails/evaluate.py", "arn_match",
     "return all(glob_match(p, a) for p, a in zip(p_parts, a_parts, strict=True))"):
        "zip's strict only tells lists of unequal length; both have six parts here (checked on the line before)",
}


@dataclass
class Outcome:
    """What became of one target's mutants."""

    target: str
    modules: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mutants: int = 0
    killed: int = 0
    timed_out: int = 0
    survivors: list[tuple[str, str, int, str, str, str]] = field(default_factory=list)  # path, fn, line, op, src, why
    errors: int = 0
    seconds: float = 0.0

    @property
    def unexplained(self) -> list[tuple[str, str, int, str, str, str]]:
        return [s for s in self.survivors if not s[5]]


def annotation_lines(source: str) -> set[tuple[int, int]]:
    """(line, column) spans inside type annotations, as a set of every position they cover per line."""
    spans: set[tuple[int, int]] = set()
    for node in ast.walk(ast.parse(source)):
        notes: list[ast.expr | None] = []
        if isinstance(node, ast.arg | ast.AnnAssign):
            notes.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            notes.append(node.returns)
        for note in notes:
            if note is None:
                continue
            for line in range(note.lineno, (note.end_lineno or note.lineno) + 1):
                first = note.col_offset if line == note.lineno else 0
                last = note.end_col_offset if line == note.end_lineno else 10_000
                spans.update((line, col) for col in range(first, last or 10_000))
    return spans


def select_mutants(db: Path, functions: tuple[str, ...], sources: dict[str, str]) -> None:
    """Mark every mutant outside the chosen operators, functions and non-annotation code as skipped."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = {path: annotation_lines(text) for path, text in sources.items()}
    with use_db(str(db), WorkDB.Mode.open) as work_db:
        for item in list(work_db.pending_work_items):
            spec = item.mutations[0]
            keep = (spec.operator_name in OPERATORS
                    and (not functions or spec.definition_name in functions)
                    and (spec.start_pos[0], spec.start_pos[1]) not in spans[str(spec.module_path)])
            if not keep:
                work_db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def private_copy(base: Path) -> Path:
    """src/, tests/ and pyproject.toml copied under `base`, without bytecode."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for part in ("src", "tests"):
        shutil.copytree(ROOT / part, base / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", base / "pyproject.toml")
    return base


def run_target(target: Target, workdir: Path, python: str, count_only: bool = False) -> Outcome:
    """Mutate one target in a private copy and run its tests against every mutant."""
    out = Outcome(target.name)
    started = time.monotonic()
    base = private_copy(workdir / target.name)
    modules = [m for m in target.modules if (base / PKG / m).exists()]
    out.notes += [f"{m} not found, skipped" for m in target.modules if m not in modules]
    tests = [t for t in target.tests if (base / "tests" / t).exists()]
    out.notes += [f"tests/{t} not found, skipped" for t in target.tests if t not in tests]
    out.modules = modules
    if not modules or not tests:
        out.notes.append("nothing to run")
        return out
    env = {**os.environ, "PYTHONPATH": str(base / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    test_cmd = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *(f"tests/{t}" for t in tests)]
    t0 = time.monotonic()
    baseline = subprocess.run(["true"] if count_only else test_cmd, cwd=base, env=env, capture_output=True,
                              text=True)
    if baseline.returncode != 0:
        out.notes.append("the tests fail without any mutant:\n" + baseline.stdout[-2000:])
        out.errors = 1
        return out
    timeout = max(120.0, 4 * (time.monotonic() - t0))
    sources = {}
    for m in modules:
        path = base / PKG / m
        sources[str(path)] = path.read_text()
    module_paths = ", ".join(f'"{base / PKG / m}"' for m in modules)
    config = base / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{module_paths}]\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {shlex.join(test_cmd)!r}\n"
        "[cosmic-ray.distributor]\nname = \"local\"\n"
    )
    db = base / "session.sqlite"
    cosmic_ray = str(Path(python).with_name("cosmic-ray"))
    subprocess.run([cosmic_ray, "init", str(config), str(db)], cwd=base, env=env, check=True, capture_output=True)
    select_mutants(db, target.functions, sources)
    if count_only:
        from cosmic_ray.work_db import WorkDB, use_db

        with use_db(str(db), WorkDB.Mode.open) as work_db:
            out.mutants = sum(1 for _ in work_db.pending_work_items)
        return out
    print(f"{target.name}: running {len(tests)} test file(s) against each mutant", file=sys.stderr, flush=True)
    done = subprocess.run([cosmic_ray, "exec", str(config), str(db)], cwd=base, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:  # what ran before the failure is still counted below
        out.errors += 1
        out.notes.append(f"cosmic-ray exec failed (exit {done.returncode}):\n" + done.stderr[-3000:])
    collect(db, base, sources, out)
    out.seconds = time.monotonic() - started
    print(f"{target.name}: {out.mutants} mutants, {len(out.survivors)} survived ({out.seconds:.0f} s)",
          file=sys.stderr, flush=True)
    return out


def collect(db: Path, base: Path, sources: dict[str, str], out: Outcome) -> None:
    """Count the results of one session and name its survivors."""
    lines = {path: text.splitlines() for path, text in sources.items()}
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT s.module_path, s.definition_name, s.operator_name, s.start_pos_row, r.worker_outcome, "
        "r.test_outcome, r.output FROM mutation_specs s JOIN work_results r ON r.job_id = s.job_id "
        "WHERE upper(r.worker_outcome) != 'SKIPPED'").fetchall()
    con.close()
    for path, function, operator, row, worker, test, output in rows:
        out.mutants += 1
        if worker.upper() != "NORMAL":
            out.errors += 1
            continue
        if (test or "").upper() == "SURVIVED":
            rel = str(Path(path).relative_to(base / PKG))
            src = lines[path][row - 1].strip() if row - 1 < len(lines[path]) else ""
            why = EXPLAINED.get((rel, function or "", src), "")
            out.survivors.append((rel, function, row, operator.removeprefix("core/"), src, why))
        elif output == "timeout":
            out.timed_out += 1
        else:
            out.killed += 1


def report(outcomes: list[Outcome]) -> None:
    """Per target and in total: mutants, killed, survived, timed out; then every survivor."""
    head = f"{'target':28} {'mutants':>8} {'killed':>7} {'survived':>9} {'explained':>10} {'timed out':>10} " \
           f"{'errors':>7} {'seconds':>8}"
    print(head)
    print("-" * len(head))
    total = Outcome("total")
    for o in outcomes:
        explained = len(o.survivors) - len(o.unexplained)
        print(f"{o.target:28} {o.mutants:>8} {o.killed:>7} {len(o.survivors):>9} {explained:>10} {o.timed_out:>10} "
              f"{o.errors:>7} {o.seconds:>8.0f}")
        total.mutants += o.mutants
        total.killed += o.killed
        total.timed_out += o.timed_out
        total.errors += o.errors
        total.seconds += o.seconds
        total.survivors += o.survivors
    explained = len(total.survivors) - len(total.unexplained)
    print("-" * len(head))
    print(f"{'total':28} {total.mutants:>8} {total.killed:>7} {len(total.survivors):>9} {explained:>10} "
          f"{total.timed_out:>10} {total.errors:>7} {total.seconds:>8.0f}")
    for o in outcomes:
        for note in o.notes:
            print(f"\n{o.target}: {note}")
        for rel, function, row, operator, src, why in o.survivors:
            tag = f"explained: {why}" if why else "SURVIVED"
            print(f"\n{o.target}: {rel}:{row} in {function}() {operator}\n    {src}\n    {tag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, choices=(1, 2), help="targets run side by side")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these targets")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--count", action="store_true", help="count the mutants of each target, run nothing")
    parser.add_argument("--keep", action="store_true", help="keep the private copies and sessions")
    args = parser.parse_args(argv)
    names = {t.name for t in TARGETS}
    if args.only and not set(args.only) <= names:
        parser.error(f"unknown target(s) {sorted(set(args.only) - names)}; valid: {', '.join(sorted(names))}")
    targets = [t for t in TARGETS if not args.only or t.name in args.only]
    if args.list:
        for t in targets:
            print(f"{t.name:28} {', '.join(t.modules)}  <-  {', '.join(t.tests)}")
        return 0
    if shutil.which("cosmic-ray", path=str(Path(sys.executable).parent)) is None:
        print("cosmic-ray is not installed: pip install cosmic-ray", file=sys.stderr)
        return 2
    os.nice(max(0, 15 - os.nice(0)))  # shared machine: stay out of the way
    workdir = Path(tempfile.mkdtemp(prefix="sagetrim-mutation-"))
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            outcomes = list(pool.map(lambda t: run_target(t, workdir, sys.executable, args.count), targets))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")
    report(outcomes)
    return 1 if any(o.unexplained or o.errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
