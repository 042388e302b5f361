"""Whether a notebook lifecycle script installs something that stops the instance when it is idle.

A notebook instance bills until something calls StopNotebookInstance. Its lifecycle configuration (OnStart,
run as root at every start, and OnCreate, run once) can install a check that does: sagetrim's agent (the
script `sagetrim autostop lifecycle-config` prints), AWS's published sample `autostop.py` (from
aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-samples, `scripts/auto-stop-idle/`), or a
plain `aws sagemaker stop-notebook-instance`. It counts only when something runs it again and again after
the script has ended: a cron entry (installed with `crontab`, or written to /etc/cron.d, /etc/crontab or
/var/spool/cron) or a systemd timer or service the script starts. A lifecycle script must finish within
5 minutes and the root volume, with /etc and the crontabs, is rebuilt at every start; so a check run once by
the script, a unit enabled for a next boot, or an `@reboot` entry written after the boot never stops an idle
instance.

The script is read as bash reads it (`rules.shell`) and followed far enough to see what it installs: variables,
files it downloads, writes (heredocs, `echo >`, `tee`), decodes (`base64 -d | gunzip`, as sagetrim's agent is
carried) and copies, the crontab it builds, the units it starts. A file the script writes is judged by its
content (Python: a call of `stop_notebook_instance`); one it downloads, by where from; one it only names, by
name (`autostop.py`, as AWS's sample is kept on the notebook's volume).

What is not autostop, with the reason given: a mention in a comment, text only printed or written to a file
nothing runs, a check fetched but never scheduled, Jupyter's kernel culling (`cull_idle_timeout` shuts down
kernels; `shutdown_no_activity_timeout` the Jupyter server: the instance keeps billing either way), sagetrim's
agent with `--dry-run`, and a script with Windows line endings, which bash cannot run.
"""

from __future__ import annotations

import ast
import base64
import binascii
import posixpath
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from sagetrim.json_types import JsonObject
from sagetrim.rules.shell import Group, Pipeline, Redirect, Simple, Word, read_script

__all__ = ["Verdict", "find_autostop"]

# Why a script does not count, most telling first (a script can have several of these).
CRLF = "it has Windows line endings (CRLF), which bash cannot run"
EXITS = "it exits before the autostop below it runs"
DRY_RUN = "sagetrim's agent runs with --dry-run: it says when it would stop, never stops"
REBOOT = "its cron entry is @reboot, which never fires: the crontab is written after the instance booted"
NOT_STARTED = "its systemd unit is only enabled, for a next boot that never comes (no --now, no start)"
IN_BACKGROUND = "it starts {what} in the background, which is not followed: run it from cron or a systemd timer"
RUN_ONCE = "it runs {what} once, while the script runs; nothing runs it again"
NOT_SCHEDULED = "it saves {what} but nothing runs it on a schedule"
NOT_RECOGNISED = "{how} runs `{command}`, which is not known to call StopNotebookInstance"
KERNEL_CULLING = "kernel culling stops kernels, not the instance"
SERVER_SHUTDOWN = "shutdown_no_activity_timeout stops the Jupyter server, not the instance"
WRITTEN_ONLY = "autostop is only written to {path}, which nothing runs"
PRINTED_ONLY = "autostop is only printed, never run"
COMMENT_ONLY = "autostop is mentioned only in a comment"
NOTHING = "nothing in it stops the instance when idle"
_PRIORITY = (CRLF, EXITS, DRY_RUN, REBOOT, NOT_STARTED, IN_BACKGROUND, RUN_ONCE, NOT_SCHEDULED, NOT_RECOGNISED,
             KERNEL_CULLING, SERVER_SHUTDOWN, WRITTEN_ONLY, PRINTED_ONLY, COMMENT_ONLY)

AWS_SAMPLE = "AWS's auto-stop-idle sample (autostop.py)"
SAGETRIM_AGENT = "sagetrim's autostop agent"
_AWS_SAMPLE_URL = re.compile(
    r"amazon-sagemaker-notebook-instance-lifecycle-config-samples/(?:.+/)?scripts/auto-stop-idle/autostop\.py")
_MENTION = re.compile(r"auto-?stop|stop[-_]notebook[-_]instance|StopNotebookInstance|idle", re.IGNORECASE)
_STOP_HINT = re.compile(r"stop|idle|shutdown", re.IGNORECASE)  # a scheduled job that may be meant as autostop
_CULLING = re.compile(r"\bcull_(?:idle_timeout|interval|connected|busy)\b")
_SERVER_SHUTDOWN = re.compile(r"\bshutdown_no_activity_timeout\b")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"python[0-9.]*")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_CRON_TABLE = re.compile(r"/etc/crontab|/etc/cron\.d/[^/]+")  # entries name the user they run as
_USER_CRONTAB = re.compile(r"/var/spool/cron/(?:crontabs/)?[^/]+")
_CRON_SCRIPT = re.compile(r"/etc/cron\.(?:hourly|daily|weekly|monthly)/[^/]+")  # itself run by cron
_UNIT_FILE = re.compile(r"(?:/etc|/run|/usr/lib|/lib)/systemd/system/([^/]+)")
_CRON_TIME = re.compile(r"[0-9*/,\-A-Za-z?LW#]+")
_STOP_CALL = re.compile(r"\.stop_notebook_instance\s*\(")
_BODY_EXPANSION = re.compile(r"\\([$`\\])|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MAX_DECODED = 1 << 20  # bytes: enough for any agent a 16 KB script can carry, and no more
_MAX_DEPTH = 4  # files that run files that run files


@dataclass(frozen=True)
class Verdict:
    """Whether the script stops the instance when idle, in words (`reason`: what stops it, or why nothing
    found counts), and the line of the script that decided (1-based) with its text."""

    stops_when_idle: bool
    reason: str
    line: int | None = None
    text: str | None = None

    def evidence(self) -> JsonObject:
        return {"autostop": self.reason, "autostop_line": self.line, "autostop_text": self.text}

    def describe(self) -> str:
        return f"{self.reason} (line {self.line}: {self.text})" if self.line else self.reason


@lru_cache(maxsize=256)
def find_autostop(script: str) -> Verdict:
    """Judge a lifecycle script (OnStart and OnCreate as one text); never raises."""
    return _Walk(script).verdict()


@dataclass(frozen=True)
class _Chunk:
    """Bytes that came from one line of the script (an `echo`, a heredoc line, a decoded blob)."""

    data: bytes
    line: int


@dataclass
class _Stream:
    """What a command writes: its chunks, or None when not known (a download: `url`; a copy: `source`)."""

    chunks: list[_Chunk] | None
    url: str | None = None
    source: str | None = None


@dataclass
class _File:
    """A file the script wrote, downloaded or copied, and the line where it did."""

    line: int
    chunks: list[_Chunk] | None
    url: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class _Found:
    """What a scheduled command runs that stops the instance, and whether it runs in observe-only mode."""

    what: str
    dry_run: bool = False


@dataclass(frozen=True)
class _Schedule:
    """A command run again and again after the script: a cron entry or a systemd unit's ExecStart."""

    command: str
    line: int
    how: str
    reboot: bool = False


@dataclass
class _Walk:
    """One pass over the script in the order bash runs it, both branches of every `if` taken."""

    script: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "$PWD"
    files: dict[str, _File] = field(default_factory=dict)
    crontab: list[_Chunk] = field(default_factory=list)
    started: list[tuple[str, int]] = field(default_factory=list)
    enabled: list[tuple[str, int]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # files installed, sourced or run
    scheduled: set[str] = field(default_factory=set)  # files a schedule runs
    printed: list[_Chunk] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)  # (priority, line, reason)
    exited: int | None = None
    linemap: list[int] | None = None
    depth: int = 0

    # --- the verdict --------------------------------------------------------------------------------------------
    def verdict(self) -> Verdict:
        if "\r\n" in self.script and self.script.count("\n") == self.script.count("\r\n"):
            return Verdict(False, CRLF, 1, self.quote(1))
        self.run_text(self.script, None)
        for s in sorted(self.schedules(), key=lambda s: s.line):
            found = self.command_stops(s.command, self.scheduled)
            if found is None:
                if _STOP_HINT.search(s.command):
                    self.note(NOT_RECOGNISED.format(how=s.how, command=_flat(s.command, 80)), s.line, NOT_RECOGNISED)
                continue
            if found.dry_run:
                self.note(DRY_RUN, s.line)
            elif s.reboot:
                self.note(REBOOT, s.line)
            else:
                return Verdict(True, f"{s.how} runs {found.what}", s.line, self.quote(s.line))
        self.explain_the_rest()
        if not self.notes:
            return Verdict(False, NOTHING)
        _, line, reason = min(self.notes)
        return Verdict(False, reason, line or None, self.quote(line) if line else None)

    def note(self, reason: str, line: int, template: str | None = None) -> None:
        self.notes.append((_PRIORITY.index(template or reason), line, reason))

    def quote(self, line: int) -> str:
        lines = self.script.split("\n")
        return _flat(lines[line - 1], 160) if 0 < line <= len(lines) else ""

    def explain_the_rest(self) -> None:
        """Notes on what came close: checks fetched but not scheduled, units never started, mentions."""
        if self.exited is not None and _MENTION.search("\n".join(self.script.split("\n")[self.exited:])):
            self.note(EXITS, self.exited)
        for unit, line in self.enabled:
            if any(self.command_stops(s.command, set()) for s in self.unit_commands(unit, line)):
                self.note(NOT_STARTED, line)
        for path, f in self.files.items():
            if path in self.scheduled or path in self.used:
                continue
            found = self.file_stops(path, [], set())
            if found is not None:
                self.note(NOT_SCHEDULED.format(what=found.what), f.line, NOT_SCHEDULED)
            elif f.chunks and not self.is_schedule_file(path):
                for line, text in _lines_of(f.chunks):
                    if _MENTION.search(text) and not text.lstrip().startswith("#"):
                        self.note(WRITTEN_ONLY.format(path=path), line, WRITTEN_ONLY)
        for chunk in self.printed:
            if _MENTION.search(chunk.data.decode("utf-8", "replace")):
                self.note(PRINTED_ONLY, chunk.line)

    # --- running the script -------------------------------------------------------------------------------------
    def run_text(self, text: str, linemap: list[int] | None) -> _Stream | None:
        """Run `text` as bash would, its line i being line linemap[i - 1] of the script (None: the script)."""
        if self.depth > _MAX_DEPTH or self.exited is not None:
            return None
        outer, self.linemap = self.linemap, linemap
        self.depth += 1
        script = read_script(text)
        for line, comment in script.comments:
            if _MENTION.search(comment):
                self.note(COMMENT_ONLY, self.at(line))
        out = self.run_pipelines(script.pipelines, None)
        self.depth -= 1
        self.linemap = outer
        return out

    def at(self, line: int) -> int:
        """The script's line number of a line of the text being run."""
        if self.linemap is None:
            return line
        return self.linemap[min(max(line, 1), len(self.linemap)) - 1]

    def run_pipelines(self, pipelines: list[Pipeline], stdin: _Stream | None) -> _Stream | None:
        """Run them in turn; at the top level what they print goes to the log, in a group to its output."""
        outputs: list[_Stream] = []
        for pipeline in pipelines:
            if self.exited is not None:
                break
            out = self.run_pipeline(pipeline, stdin)
            if out is not None:
                outputs.append(out)
        if self.depth == 1:
            for out in outputs:
                self.printed.extend(out.chunks or [])
            return None
        return _joined(outputs)

    def run_pipeline(self, pipeline: Pipeline, stdin: _Stream | None) -> _Stream | None:
        stream = stdin
        for stage in pipeline.stages:
            if isinstance(stage, Group):
                self.depth += 1
                out = self.run_pipelines(stage.body, stream)
                self.depth -= 1
                stream = self.redirect_output(stage.redirects, out, self.at(stage.line))
            else:
                stream = self.run_simple(stage, stream, pipeline.background)
        return stream

    def run_simple(self, cmd: Simple, stdin: _Stream | None, background: bool) -> _Stream | None:
        line = self.at(cmd.line)
        stdin = self.redirect_input(cmd.redirects, line) or stdin
        words = self.assign(cmd.words)
        args = [self.expand(w) for w in words]
        self.look_for_culling(" ".join(args), line)
        out = self.command(_unwrap(args), stdin, line, cmd.conditional, background) if args else None
        return self.redirect_output(cmd.redirects, out, line)

    def assign(self, words: list[Word]) -> list[Word]:
        """Apply `NAME=value` words (alone, or after export / declare / local); the command's words remain."""
        start = 1 if words and words[0].literal in ("export", "declare", "local", "readonly", "typeset") else 0
        rest = words[start:]
        names = [w for w in rest if _is_assignment(w)]
        if len(names) == len(rest):
            for w in names:
                name, _, value = self.expand(w).partition("=")
                self.env[name] = value
            return []
        while rest and rest[0] in names:
            rest = rest[1:]
        return rest

    def expand(self, word: Word) -> str:
        out = []
        for p in word.parts:
            if p.kind == "var" and p.name in self.env:
                out.append(self.env[p.name])
            elif p.kind == "var" and p.default is not None:
                out.append(p.default)
            else:
                out.append(p.text)
        return "".join(out)

    def expand_body(self, text: str) -> str:
        """A heredoc line with an unquoted delimiter: `$NAME` and `${NAME:-default}` replaced, as bash does."""

        def one(m: re.Match[str]) -> str:
            if m.group(1):
                return m.group(1)
            name = m.group(2) or m.group(4)
            if name in self.env:
                return self.env[name]
            return m.group(3) if m.group(3) is not None else m.group(0)

        return _BODY_EXPANSION.sub(one, text)

    def redirect_input(self, redirects: list[Redirect], line: int) -> _Stream | None:
        """What a heredoc, a here-string or `< FILE` feeds the command, if any of them."""
        for r in redirects:
            if r.heredoc is not None:
                chunks = []
                for body_line, text in r.heredoc.lines:
                    body = self.expand_body(text) if r.heredoc.expands else text
                    self.look_for_culling(body, self.at(body_line), comment="#")
                    chunks.append(_Chunk((body + "\n").encode(), self.at(body_line)))
                return _Stream(chunks)
            if r.op == "<<<" and r.target is not None:
                return _Stream([_Chunk((self.expand(r.target) + "\n").encode(), line)])
            if r.op == "<" and r.fd in (None, 0) and r.target is not None:
                return self.read_file(self.expand(r.target))
        return None

    def redirect_output(self, redirects: list[Redirect], out: _Stream | None, line: int) -> _Stream | None:
        for r in redirects:
            if r.target is None:
                continue
            target = self.expand(r.target)
            to_stdout_file = r.op in (">", ">>", ">|") and r.fd in (None, 1)
            if r.op in ("&>", "&>>") or to_stdout_file or (r.op == ">&" and r.fd in (None, 1) and not target.isdigit()):
                if target != "/dev/null":
                    self.write(self.path(target), out, r.op.endswith(">>"), line)
                out = None
            elif r.op == ">&" and r.fd in (None, 1) and target != "1":
                self.printed.extend((out.chunks or []) if out else [])
                out = None
        return out

    def look_for_culling(self, text: str, line: int, comment: str = "") -> None:
        if comment and text.lstrip().startswith(comment):
            return
        if _CULLING.search(text):
            self.note(KERNEL_CULLING, line)
        if _SERVER_SHUTDOWN.search(text):
            self.note(SERVER_SHUTDOWN, line)

    # --- files --------------------------------------------------------------------------------------------------
    def path(self, raw: str) -> str:
        """A path as the script means it: relative ones under the current directory (`$PWD` until a `cd`)."""
        raw = raw.strip()
        if not raw.startswith(("/", "$", "~")):
            raw = f"{self.cwd}/{raw}"
        return posixpath.normpath(raw)

    def lookup(self, raw: str) -> tuple[str, _File] | None:
        """The file at this path, else the last one written with the same name (cron's `$PWD` is not the
        script's)."""
        path = self.path(raw)
        if path in self.files:
            return path, self.files[path]
        name = posixpath.basename(path)
        same = [(p, f) for p, f in self.files.items() if posixpath.basename(p) == name]
        return same[-1] if same else None

    def write(self, path: str, stream: _Stream | None, append: bool, line: int) -> None:
        before = self.files.get(path)
        if stream is not None and stream.chunks is None:
            self.files[path] = _File(line, None, stream.url, stream.source)
            return
        chunks = list(stream.chunks or []) if stream is not None else []
        if append and before is not None:
            chunks = (before.chunks or []) + chunks
        self.files[path] = _File(before.line if append and before else line, chunks)

    def read_file(self, raw: str) -> _Stream:
        found = self.lookup(raw)
        if found is None:
            return _Stream(None, source=self.path(raw))
        path, f = found
        self.used.add(path)
        return _Stream(f.chunks, f.url, f.source or (path if f.chunks is None else None))

    def is_schedule_file(self, path: str) -> bool:
        return any(p.fullmatch(path) for p in (_CRON_TABLE, _USER_CRONTAB, _CRON_SCRIPT, _UNIT_FILE))

    # --- commands -----------------------------------------------------------------------------------------------
    def command(self, args: list[str], stdin: _Stream | None, line: int, conditional: bool,
                background: bool) -> _Stream | None:
        """Run one command (its wrappers such as sudo already removed) and return what it prints."""
        if not args:
            return None
        name = posixpath.basename(args[0])
        if name in ("echo", "printf"):
            return _Stream([_Chunk(_printed(name, args[1:]), line)])
        if name in ("cat", "tee", "base64", "gunzip", "zcat", "gzip"):
            return self.filter(name, args, stdin, line)
        if name in ("wget", "curl") or (name == "aws" and args[1:3] == ["s3", "cp"]):
            return self.download(name, args, line)
        if name in ("cp", "mv", "install"):
            self.copy(args, line)
        elif name == "cd":
            self.cwd = self.path(args[1]) if len(args) > 1 else "$HOME"
        elif name == "crontab":
            return self.install_crontab(args, stdin)
        elif name == "systemctl":
            self.systemctl(args, line)
        elif name == "exit" and not conditional and self.depth == 1:
            self.exited = line
        else:
            return self.execute(args, stdin, line, background)
        return None

    def filter(self, name: str, args: list[str], stdin: _Stream | None, line: int) -> _Stream | None:
        """cat, tee, base64 -d and gunzip: what goes through them, and the files tee writes."""
        operands = [a for a in args[1:] if not a.startswith("-") or a == "-"]
        decode = any(a in ("-d", "--decode", "-D", "-dc", "-cd") for a in args[1:]) or name in ("gunzip", "zcat")
        if name == "tee":
            for target in operands:
                self.write(self.path(target), stdin, "-a" in args or "--append" in args, line)
            return stdin
        source = self.read_file(operands[0]) if operands and operands != ["-"] else stdin
        if name == "cat" or source is None:
            return source
        if not decode or source.chunks is None:
            return _Stream(None)
        data = b"".join(c.data for c in source.chunks)
        first = source.chunks[0].line if source.chunks else line
        decoded = _base64(data) if name == "base64" else _gunzip(data)
        return _Stream(None if decoded is None else [_Chunk(decoded, first)])

    def download(self, name: str, args: list[str], line: int) -> _Stream | None:
        """wget, curl or aws s3 cp: the file it saves (with where it came from), or its output."""
        urls = [a for a in args if re.match(r"(?:https?|ftp|s3)://", a)]
        if not urls:
            return None
        url = urls[0]
        target = _download_target(name, args, url)
        if target is None:
            return _Stream(None, url=url)
        self.files[self.path(target)] = _File(line, None, url)
        return None

    def copy(self, args: list[str], line: int) -> None:
        operands = _operands(args[1:], valued=("-m", "-o", "-g", "-t", "-S"))
        if len(operands) < 2:
            return
        *sources, destination = operands
        for source in sources:
            found = self.lookup(source)
            f = found[1] if found else None
            copied = _File(line, f.chunks if f else None, f.url if f else None, None if f else self.path(source))
            if f is not None and f.chunks is None and f.url is None:
                copied.source = f.source
            self.files[self.path(destination)] = copied
            self.files[self.path(f"{destination}/{posixpath.basename(source)}")] = copied

    def install_crontab(self, args: list[str], stdin: _Stream | None) -> _Stream | None:
        """`crontab -l` prints the table so far; `crontab -` or `crontab FILE` replaces it; `-r` empties it."""
        if "-l" in args:
            return _Stream(list(self.crontab))
        if "-r" in args:
            self.crontab = []
            return None
        table = _first_operand(args, valued=("-u",))
        source = stdin if table in (None, "-") else self.read_file(table)
        if source is not None and source.chunks is not None:
            self.crontab = list(source.chunks)
        return None

    def systemctl(self, args: list[str], line: int) -> None:
        words = [a for a in args[1:] if not a.startswith("-")]
        if not words:
            return
        verb, *units = words
        now = "--now" in args
        if verb in ("start", "restart", "reload-or-restart", "try-restart") or (verb in ("enable", "reenable") and now):
            self.started += [(u, line) for u in units]
        elif verb in ("enable", "reenable"):
            self.enabled += [(u, line) for u in units]

    def execute(self, args: list[str], stdin: _Stream | None, line: int, background: bool) -> _Stream | None:
        """Any other command: what a shell runs (`-c`, a file, its input) is followed; one that stops the
        instance is noted, since the script runs it only once."""
        found = self.runs_stop(args, self.used)
        if found is not None:
            template = IN_BACKGROUND if background else RUN_ONCE
            self.note(template.format(what=found.what), line, template)
        name = posixpath.basename(args[0])
        code = _option_value(args, "-c") if name in _SHELLS else None
        if code is not None:
            return self.run_text(code, [line])
        if name not in (*_SHELLS, "source", "."):
            return self.run_file(args[0]) if "/" in args[0] else None
        script = _first_operand(args)
        if script is not None:
            return self.run_file(script)
        if name in _SHELLS and stdin is not None and stdin.chunks is not None:
            return self.run_text(*_text_of(stdin.chunks))
        return None

    def run_file(self, raw: str) -> _Stream | None:
        """Run a shell script the script wrote; a Python one, or one it did not write, is not followed."""
        found = self.lookup(raw)
        if found is None:
            return None
        path, f = found
        self.used.add(path)
        if not f.chunks or _is_python(path, f.chunks):
            return None
        return self.run_text(*_text_of(f.chunks))

    # --- what runs again and again ------------------------------------------------------------------------------
    def schedules(self) -> Iterator[_Schedule]:
        yield from self.cron_entries(self.crontab, system=False)
        for path, f in list(self.files.items()):
            if f.chunks is None:
                continue
            if _CRON_TABLE.fullmatch(path) or _USER_CRONTAB.fullmatch(path):
                self.used.add(path)
                yield from self.cron_entries(f.chunks, system=bool(_CRON_TABLE.fullmatch(path)))
            elif _CRON_SCRIPT.fullmatch(path):
                self.used.add(path)
                yield _Schedule(path, f.line, "a cron job")
        for unit, line in self.started:
            yield from self.unit_commands(unit, line)

    def cron_entries(self, chunks: list[_Chunk], system: bool) -> Iterator[_Schedule]:
        """The commands of a crontab (`system`: /etc/crontab and /etc/cron.d, whose entries name a user)."""
        for line, text in _lines_of(chunks):
            entry = text.strip()
            if entry.startswith("#"):
                if _MENTION.search(entry):
                    self.note(COMMENT_ONLY, line)
                continue
            parsed = _cron_entry(entry, system)
            if parsed is not None:
                yield _Schedule(parsed[1], line, "a cron job", reboot=parsed[0] == "@reboot")

    def unit_commands(self, unit: str, line: int) -> Iterator[_Schedule]:
        """The ExecStart commands of a started unit (a timer's: those of the service it triggers)."""
        name = unit if "." in unit else f"{unit}.service"
        how = "a systemd timer" if name.endswith(".timer") else "a systemd service"
        if name.endswith(".timer"):
            timer = self.unit_file(name)
            name = _unit_setting(timer, "Unit") or name.removesuffix(".timer") + ".service"
        service = self.unit_file(name)
        for exec_line, text in _lines_of(service or []):
            key, _, value = text.strip().partition("=")
            if key.strip() == "ExecStart" and value.strip():
                yield _Schedule(value.strip().lstrip("-@:+!"), exec_line, how)

    def unit_file(self, name: str) -> list[_Chunk] | None:
        for path, f in self.files.items():
            m = _UNIT_FILE.fullmatch(path)
            if m and m.group(1) == name:
                self.used.add(path)
                return f.chunks
        return None

    # --- what stops the instance --------------------------------------------------------------------------------
    def command_stops(self, text: str, seen: set[str], depth: int = 0) -> _Found | None:
        """What in this command line (a cron entry, an ExecStart) stops the instance, if anything; the files it
        runs are added to `seen`."""
        if depth > _MAX_DEPTH:
            return None
        for cmd in _commands(read_script(text).pipelines):
            words = [w.literal for w in cmd.words if not _is_assignment(w)]
            found = self.runs_stop(_unwrap(words), seen, depth)
            if found is not None:
                return found
        return None

    def runs_stop(self, args: list[str], seen: set[str], depth: int = 0) -> _Found | None:
        """What this command runs that stops the instance: the CLI call, Python code, or a file it runs (an
        interpreter's first operand; a command named by a variable, like `$PYTHON_DIR`, is taken for one)."""
        if not args:
            return None
        name = posixpath.basename(args[0])
        if name == "aws" and "sagemaker" in args and "stop-notebook-instance" in args:
            return _Found("aws sagemaker stop-notebook-instance")
        python = bool(_PYTHON.fullmatch(name))
        if not (python or name in _SHELLS or args[0].startswith("$")):
            return self.file_stops(args[0], args, seen, depth)
        code = _option_value(args, "-c")
        if code is not None:
            if name not in _SHELLS and _python_stops(code):
                return _Found("Python code that calls StopNotebookInstance")
            return None if python else self.command_stops(code, seen, depth + 1)
        script = None if "-m" in args else _first_operand(args)
        return None if script is None else self.file_stops(script, args, seen, depth)

    def file_stops(self, raw: str, args: list[str], seen: set[str], depth: int = 0) -> _Found | None:
        """Whether running this file stops the instance: by its content when the script wrote it, by where it
        came from when downloaded, else by its name."""
        found = self.lookup(raw) if depth <= _MAX_DEPTH else None
        name = posixpath.basename(raw)
        dry_run = any(a.startswith("--dry") for a in args)
        if found is not None:
            path, f = found
            seen.add(path)
            if f.url and _AWS_SAMPLE_URL.search(f.url):
                return _Found(AWS_SAMPLE)
            if f.chunks is not None:
                text = b"".join(c.data for c in f.chunks).decode("utf-8", "replace")
                if not self.text_stops(path, f.chunks, text, seen, depth):
                    return None
                agent = name.startswith("sagetrim-autostop") or _is_sagetrim_agent(text)
                return _Found(SAGETRIM_AGENT, dry_run) if agent else _Found(f"{name}, which calls StopNotebookInstance")
            if f.source:
                return self.file_stops(f.source, args, seen, depth + 1)
        if name == "autostop.py" or _AWS_SAMPLE_URL.search(raw):
            return _Found(AWS_SAMPLE)
        if name.startswith("sagetrim-autostop"):
            return _Found(SAGETRIM_AGENT, dry_run)
        return None

    def text_stops(self, path: str, chunks: list[_Chunk], text: str, seen: set[str], depth: int) -> bool:
        if _is_python(path, chunks):
            return _python_stops(text)
        return self.command_stops(text, seen, depth + 1) is not None


def _flat(text: str, limit: int) -> str:
    """Script text made one short printable line, cut to `limit` characters."""
    text = " ".join(_UNPRINTABLE.sub(" ", text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _joined(outputs: list[_Stream]) -> _Stream | None:
    """The output of a group: its commands' outputs, one after another (unknown parts left out)."""
    if not outputs:
        return None
    known = [o for o in outputs if o.chunks is not None]
    if not known:
        return outputs[-1]
    return _Stream([c for o in known for c in o.chunks or []])


def _commands(pipelines: list[Pipeline]) -> Iterator[Simple]:
    for pipeline in pipelines:
        for stage in pipeline.stages:
            if isinstance(stage, Group):
                yield from _commands(stage.body)
            else:
                yield stage


_WRAPPERS = {"sudo": ("-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"), "nohup": (), "exec": (),
             "command": (), "nice": ("-n",), "setsid": (), "time": (), "stdbuf": ("-i", "-o", "-e"),
             "ionice": ("-c", "-n", "-p"), "flock": ("-w", "-E"), "timeout": ("-s", "-k"), "env": ("-u", "-C")}


def _unwrap(args: list[str]) -> list[str]:
    """The command that runs under sudo, nohup, env and the like; `sudo -i` and `su` with no command run a
    shell reading standard input."""
    for _ in range(8):
        if not args:
            return args
        name = posixpath.basename(args[0])
        if name == "su":
            rest = args[1:]
            return ["bash", "-c", rest[rest.index("-c") + 1]] if "-c" in rest[:-1] else ["bash"]
        if name not in _WRAPPERS:
            return args
        i = 1
        login = False
        while i < len(args) and (args[i].startswith("-") or (name == "env" and "=" in args[i])):
            login = login or (name == "sudo" and args[i] in ("-i", "-s", "--login", "--shell"))
            i += 2 if args[i] in _WRAPPERS[name] else 1
        if name in ("timeout", "flock") and i < len(args):
            i += 1  # the duration, or the lock file
        args = args[i:] or (["bash"] if login else [])
    return args


def _is_assignment(word: Word) -> bool:
    """`NAME=value`, with the name written plainly (a quoted or expanded name is a command word)."""
    return bool(word.parts and word.parts[0].kind == "text" and _ASSIGNMENT.match(word.parts[0].text))


def _option_value(args: list[str], option: str) -> str | None:
    """The argument after `option` (`sh -c TEXT`, `python -c CODE`), if it is given."""
    rest = iter(args)
    for arg in rest:
        if arg == option:
            return next(rest, None)
    return None


def _first_operand(args: list[str], valued: tuple[str, ...] = ()) -> str | None:
    """The first argument after the command name that is not an option."""
    operands = _operands(args[1:], valued)
    return operands[0] if operands else None


def _is_sagetrim_agent(text: str) -> bool:
    """sagetrim's agent names itself in the first lines of its docstring."""
    return "sagetrim autostop" in "\n".join(text.split("\n", 3)[:3])


def _cron_entry(entry: str, system: bool) -> tuple[str, str] | None:
    """(schedule, command) of a crontab line; None for a blank line, a `NAME=value` line or one that is not an
    entry. `system`: a line of /etc/crontab or /etc/cron.d, which names the user before the command."""
    if not entry or _ASSIGNMENT.match(entry.replace(" ", "")):
        return None
    special = entry.startswith("@")
    fields = entry.split(None, (1 if special else 5) + system)
    times = fields[:1] if special else fields[:5]
    valid = re.fullmatch(r"@[a-z]+", times[0]) if special else all(_CRON_TIME.fullmatch(t) for t in times)
    if len(fields) < len(times) + 1 + system or not valid:
        return None
    return " ".join(times), _cron_command(fields[-1])


def _operands(args: list[str], valued: tuple[str, ...] = ()) -> list[str]:
    """The arguments that are not options (nor the values of the options in `valued`)."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in valued:
            skip = True
        elif a == "-" or not a.startswith("-"):
            out.append(a)
    return out


def _printed(name: str, args: list[str]) -> bytes:
    """What `echo` or `printf` prints: enough of their options and escapes for the lines scripts build."""
    if name == "printf":
        fmt, values = (args[0], iter(args[1:])) if args else ("", iter(()))
        text = re.sub(r"%%|%[-+ 0-9.]*[sbdi]", lambda m: "%" if m.group() == "%%" else next(values, ""), fmt)
        return text.replace("\\n", "\n").replace("\\t", "\t").encode()
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    return (text + ("\n" if newline else "")).encode()


def _download_target(name: str, args: list[str], url: str) -> str | None:
    """Where wget, curl or aws s3 cp saves `url`; None when it goes to standard output."""
    remote_name = posixpath.basename(url.split("?", 1)[0].rstrip("/")) or "index.html"
    if name == "aws":
        operands = _operands(args[3:])
        return None if len(operands) < 2 or operands[1] == "-" else operands[1]
    option = "-O" if name == "wget" else "-o"
    directory = "."
    for i, a in enumerate(args):
        value = args[i + 1] if i + 1 < len(args) else ""
        if a in (option, "--output-document", "--output") or (name == "curl" and re.fullmatch(r"-[a-zA-Z]*o", a)):
            return None if value == "-" else value
        if a.startswith(("--output-document=", "--output=")) or (name == "wget" and a.startswith("-O")):
            value = a.split("=", 1)[1] if "=" in a else a[2:]
            return None if value == "-" else value
        if name == "wget" and a in ("-P", "--directory-prefix"):
            directory = value
        if name == "curl" and (a == "--remote-name" or re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", a)):
            return remote_name
    return f"{directory}/{remote_name}" if name == "wget" else None


def _cron_command(command: str) -> str:
    """A crontab command up to its first unescaped `%` (cron turns the rest into standard input)."""
    m = re.search(r"(?<!\\)%", command)
    return (command[:m.start()] if m else command).replace("\\%", "%")


def _unit_setting(chunks: list[_Chunk] | None, key: str) -> str | None:
    for _, text in _lines_of(chunks or []):
        k, _, value = text.strip().partition("=")
        if k.strip() == key:
            return value.strip()
    return None


def _lines_of(chunks: list[_Chunk]) -> Iterator[tuple[int, str]]:
    """Each line of the chunks' text with the script line it came from."""
    for chunk in chunks:
        for text in chunk.data.decode("utf-8", "replace").split("\n"):
            if text:
                yield chunk.line, text


def _text_of(chunks: list[_Chunk]) -> tuple[str, list[int]]:
    """The chunks as one text, and the script line of each of its lines."""
    parts, linemap = [], []
    at_start = True
    for chunk in chunks:
        text = chunk.data.decode("utf-8", "replace")
        parts.append(text)
        for ch in text:
            if at_start:
                linemap.append(chunk.line)
            at_start = ch == "\n"
    return "".join(parts), linemap or [chunks[0].line if chunks else 0]


def _is_python(path: str, chunks: list[_Chunk]) -> bool:
    first = chunks[0].data[:200].split(b"\n", 1)[0] if chunks else b""
    return path.endswith(".py") or (first.startswith(b"#!") and b"python" in first)


def _python_stops(code: str) -> bool:
    """Whether Python code calls StopNotebookInstance (a boto3 client's `stop_notebook_instance`, or the AWS CLI
    through os.system or subprocess); comments and strings that are only printed do not count. Code Python 3
    cannot parse (Python 2's `print "..."`) is searched line by line, comments left out."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return any(_STOP_CALL.search(line.partition("#")[0]) for line in code.split("\n"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else ""
        if called == "stop_notebook_instance":
            return True
        if called in ("system", "run", "call", "check_call", "check_output", "Popen", "popen") and any(
                "stop-notebook-instance" in n.value for a in node.args for n in ast.walk(a)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)):
            return True
    return False


def _base64(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data))
    except (binascii.Error, ValueError):
        return None


def _gunzip(data: bytes) -> bytes | None:
    """gunzip, stopping at `_MAX_DECODED` bytes so that no small blob expands into a huge one."""
    try:
        return zlib.decompressobj(wbits=47).decompress(data, _MAX_DECODED)
    except zlib.error:
        return None
