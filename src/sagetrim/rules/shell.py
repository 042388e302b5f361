"""Reading a shell script the way bash splits it, far enough to tell what it runs.

A notebook lifecycle script is bash. What it *says* and what it *runs* differ: a `#` outside quotes starts a
comment that is never run, text inside quotes is one word (often the argument of an `echo` that only prints
it), and a heredoc (`<<EOF` ... `EOF`) is data fed to a command's standard input, not commands. This module
splits a script into pipelines of commands with their words, redirections and heredoc bodies, each with the
line it starts on; it evaluates nothing (`rules.autostop_detect` does).

Covered: comments, single and double quotes, `$'...'`, backslash escapes and line continuations, `$NAME`,
`${NAME}`, `${NAME:-default}`, `$(...)` and backticks (kept as written), heredocs (`<<`, `<<-`, quoted
delimiters that turn expansion off, several on one line), here-strings, redirections with file descriptors,
pipelines, `( )` and `{ }` groups, and the keywords of `if`, `for`, `while` and `case` (their bodies are read as
plain commands). Any text reads without an error: what bash would reject is read as well as it can be.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Group", "Heredoc", "Part", "Pipeline", "Redirect", "Script", "Simple", "Word", "read_script"]

_OPERATORS = ("&&", "||", ";;", "|&", "&>>", "<<<", "<<-", "<<", ">>", ">|", "&>", ">&", "<&", "<>",
              ";", "&", "|", "(", ")", "<", ">")
_REDIRECTS = frozenset({"<<<", "<<-", "<<", ">>", ">|", "&>>", "&>", ">&", "<&", "<>", "<", ">"})
_METACHARACTERS = frozenset(" \t\n;&|()<>")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WITH_DEFAULT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):?[-=](.*)", re.DOTALL)
# Words that open or close a compound command; what follows them is read as a plain command.
_PREFIX_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "time"})
_CLOSING_KEYWORDS = frozenset({"fi", "done", "esac"})
_HEADER_KEYWORDS = frozenset({"for", "select", "case"})  # their header is skipped up to the end of the line
_OPENING = frozenset({"if", "while", "until", "for", "select", "case"})
_MAX_GROUPS = 64  # groups inside groups: deeper ones are read as plain commands, so no text exhausts the stack


@dataclass(frozen=True)
class Part:
    """A piece of a word: literal `text`, a variable (`$NAME`, `${NAME}`, `${NAME:-default}`) or a substitution
    kept as written (`$(...)`, a backtick, `$1`, `${#NAME}`), whose `text` is its source."""

    kind: Literal["text", "var", "sub"]
    text: str
    name: str = ""
    default: str | None = None


@dataclass(frozen=True)
class Word:
    """A word as bash splits it, its quotes removed; `quoted` when any of it was quoted or escaped."""

    parts: tuple[Part, ...]
    quoted: bool

    @property
    def literal(self) -> str:
        """The word with variables and substitutions left as written."""
        return "".join(p.text for p in self.parts)


@dataclass
class Heredoc:
    """The body of a `<<WORD` redirection: (line number, text) per line; `expands` unless the delimiter was
    quoted (`<<'EOF'`), in which case bash feeds the body as written."""

    delimiter: str
    strip_tabs: bool
    expands: bool
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Redirect:
    """`fd` (None: the default one) `op` `target`, or a heredoc."""

    op: str
    fd: int | None
    target: Word | None
    heredoc: Heredoc | None = None


@dataclass
class Simple:
    """One command: its words and redirections, the line it starts on, and whether it runs only on a condition
    (inside `if`, a loop, a group, or after `&&` / `||`)."""

    words: list[Word]
    redirects: list[Redirect]
    line: int
    conditional: bool


@dataclass
class Group:
    """`( ... )` or `{ ...; }`: commands whose output goes, together, where the group's goes."""

    body: list[Pipeline]
    redirects: list[Redirect]
    line: int


@dataclass
class Pipeline:
    """Commands joined by `|`: each one's output is the next one's input; `background` when it ends in `&`."""

    stages: list[Simple | Group]
    background: bool = False


@dataclass
class Script:
    """The script's pipelines in order, and its comments as (line number, text)."""

    pipelines: list[Pipeline]
    comments: list[tuple[int, str]]


@dataclass(frozen=True)
class _Token:
    kind: Literal["word", "op", "newline", "fd"]
    text: str
    line: int
    word: Word | None = None
    heredoc: Heredoc | None = None


class _Lexer:
    """Splits the text into words, operators and newlines; reads heredoc bodies when their line ends."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.tokens: list[_Token] = []
        self.comments: list[tuple[int, str]] = []
        self.pending: list[Heredoc] = []

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def run(self) -> list[_Token]:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t":
                self.i += 1
            elif s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "#":
                end = s.find("\n", self.i)
                end = len(s) if end < 0 else end
                self.comments.append((self.line_at(self.i), s[self.i:end]))
                self.i = end
            elif c == "\n":
                self.tokens.append(_Token("newline", "\n", self.line_at(self.i)))
                self.i += 1
                self._bodies()
            else:
                self._operator_or_word()
        return self.tokens

    def _operator_or_word(self) -> None:
        start = self.i
        op = next((o for o in _OPERATORS if self.s.startswith(o, start)), None)
        if op is None:
            word = self._word()
            fd = word.literal.isdigit() and not word.quoted and self.s[self.i:self.i + 1] in ("<", ">")
            self.tokens.append(_Token("fd" if fd else "word", word.literal, self.line_at(start), word))
            return
        self.i += len(op)
        heredoc = self._heredoc_start(op == "<<-") if op in ("<<", "<<-") else None
        self.tokens.append(_Token("op", op, self.line_at(start), heredoc=heredoc))

    def _heredoc_start(self, strip_tabs: bool) -> Heredoc:
        while self.s[self.i:self.i + 1] in (" ", "\t"):
            self.i += 1
        word = self._word()
        heredoc = Heredoc(delimiter=word.literal, strip_tabs=strip_tabs, expands=not word.quoted)
        self.pending.append(heredoc)
        return heredoc

    def _bodies(self) -> None:
        """Read the bodies of the heredocs opened on the line just ended, each up to its delimiter line."""
        s = self.s
        for heredoc in self.pending:
            while self.i < len(s):
                end = s.find("\n", self.i)
                end = len(s) if end < 0 else end
                text = s[self.i:end]
                line = self.line_at(self.i)
                self.i = min(end + 1, len(s))
                if heredoc.strip_tabs:
                    text = text.lstrip("\t")
                if text == heredoc.delimiter:
                    break
                heredoc.lines.append((line, text))
        self.pending = []

    def _word(self) -> Word:
        s = self.s
        parts: list[Part] = []
        text: list[str] = []
        quoted = False

        def flush() -> None:
            if text:
                parts.append(Part("text", "".join(text)))
                text.clear()

        while self.i < len(s) and s[self.i] not in _METACHARACTERS:
            c = s[self.i]
            if c == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                    continue
                text.append(s[self.i + 1:self.i + 2])
                self.i += 2
                quoted = True
            elif c == "'":
                end = s.find("'", self.i + 1)
                end = len(s) if end < 0 else end
                text.append(s[self.i + 1:end])
                self.i = end + 1
                quoted = True
            elif c == '"':
                flush()
                self._double_quoted(parts)
                quoted = True
            elif c == "$" and s.startswith("$'", self.i):
                text.append(self._ansi_c())
                quoted = True
            elif c in "$`":
                flush()
                parts.append(self._dollar() if c == "$" else self._backtick())
            else:
                text.append(c)
                self.i += 1
        flush()
        return Word(tuple(parts), quoted)

    def _double_quoted(self, parts: list[Part]) -> None:
        s = self.s
        self.i += 1
        text: list[str] = []
        while self.i < len(s) and s[self.i] != '"':
            c = s[self.i]
            if c == "\\" and s[self.i + 1:self.i + 2] in ("$", "`", '"', "\\", "\n"):
                if s[self.i + 1] != "\n":
                    text.append(s[self.i + 1])
                self.i += 2
            elif c in "$`" and not (c == "$" and s[self.i + 1:self.i + 2] in ('"', "", " ")):
                if text:
                    parts.append(Part("text", "".join(text)))
                    text.clear()
                parts.append(self._dollar() if c == "$" else self._backtick())
            else:
                text.append(c)
                self.i += 1
        self.i += 1
        parts.append(Part("text", "".join(text)))

    def _ansi_c(self) -> str:
        """`$'...'`: backslash escapes for newline, tab, quote and backslash; the rest as written."""
        s = self.s
        self.i += 2
        out: list[str] = []
        while self.i < len(s) and s[self.i] != "'":
            if s[self.i] == "\\" and self.i + 1 < len(s):
                out.append({"n": "\n", "t": "\t"}.get(s[self.i + 1], s[self.i + 1]))
                self.i += 2
            else:
                out.append(s[self.i])
                self.i += 1
        self.i += 1
        return "".join(out)

    def _dollar(self) -> Part:
        s = self.s
        start = self.i
        nxt = s[start + 1:start + 2]
        if nxt == "{":
            end = _closing(s, start + 1, "{", "}")
            self.i = end + 1
            inner = s[start + 2:end]
            if _NAME.fullmatch(inner):
                return Part("var", s[start:self.i], inner)
            m = _WITH_DEFAULT.fullmatch(inner)
            if m:
                return Part("var", s[start:self.i], m.group(1), m.group(2).strip("\"'"))
            return Part("sub", s[start:self.i])
        if nxt == "(":
            end = _closing(s, start + 1, "(", ")")
            self.i = end + 1
            return Part("sub", s[start:self.i])
        m = _NAME.match(s, start + 1)
        if m:
            self.i = m.end()
            return Part("var", s[start:self.i], m.group())
        if nxt and nxt in "0123456789@*#?$!-":
            self.i = start + 2
            return Part("sub", s[start:self.i])
        self.i += 1
        return Part("text", "$")

    def _backtick(self) -> Part:
        start = self.i
        end = start + 1
        while end < len(self.s) and self.s[end] != "`":
            end += 2 if self.s[end] == "\\" else 1
        self.i = min(end, len(self.s)) + 1
        return Part("sub", self.s[start:self.i])


def _closing(s: str, i: int, open_: str, close: str) -> int:
    """The index of the bracket that closes the one at `i`, skipping quoted text; the end when it is missing."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and open_ == "(":
            i = s.find("'", i + 1)
            if i < 0:
                return len(s) - 1
        elif c == '"' and open_ == "(":
            i = _closing_quote(s, i)
        elif c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(s) - 1


def _closing_quote(s: str, i: int) -> int:
    i += 1
    while i < len(s) and s[i] != '"':
        i += 2 if s[i] == "\\" else 1
    return min(i, len(s) - 1)


class _Parser:
    """Builds pipelines from tokens; keywords are dropped, their bodies read as plain commands."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.t = tokens
        self.k = 0
        self.nesting = 0  # inside if / loops / case: commands there run only on a condition
        self.groups = 0

    def peek(self) -> _Token | None:
        return self.t[self.k] if self.k < len(self.t) else None

    def commands(self, closer: str | None = None, conditional: bool = False) -> list[Pipeline]:
        out: list[Pipeline] = []
        after_test = False
        while (tok := self.peek()) is not None:
            if closer and tok.text == closer and (tok.kind == "op" or closer == "}"):
                self.k += 1
                return out
            before = self.k
            if tok.kind == "newline" or (tok.kind == "op" and tok.text in (";", "&", "&&", "||", ";;", ")")):
                after_test = tok.text in ("&&", "||")
                if tok.text == "&" and out:
                    out[-1].background = True
                self.k += 1
                continue
            pipeline = self.pipeline(conditional or after_test)
            if pipeline.stages:
                out.append(pipeline)
            after_test = False
            if self.k == before:
                self.k += 1
        return out

    def pipeline(self, conditional: bool) -> Pipeline:
        stages: list[Simple | Group] = []
        while True:
            stage = self.stage(conditional)
            if stage is not None:
                stages.append(stage)
            tok = self.peek()
            if tok is None or tok.kind != "op" or tok.text not in ("|", "|&"):
                return Pipeline(stages)
            self.k += 1
            while (tok := self.peek()) is not None and tok.kind == "newline":
                self.k += 1

    def stage(self, conditional: bool) -> Simple | Group | None:
        tok = self.peek()
        if tok is None:
            return None
        if (tok.kind == "op" and tok.text == "(") or (tok.kind == "word" and tok.text == "{"):
            self.k += 1
            if self.groups >= _MAX_GROUPS:
                return None
            self.groups += 1
            body = self.commands(")" if tok.text == "(" else "}", conditional=True)
            self.groups -= 1
            return Group(body, self.redirects(), tok.line)
        return self.simple(conditional)

    def simple(self, conditional: bool) -> Simple | None:
        words: list[Word] = []
        redirects: list[Redirect] = []
        line = 0
        while (tok := self.peek()) is not None:
            if tok.kind == "word" and not words and self._keyword(tok):
                continue
            if tok.kind == "word" and tok.word is not None:
                if tok.text == "}" and not words:
                    break
                words.append(tok.word)
                line = line or tok.line
                self.k += 1
            elif tok.kind in ("fd", "op") and (tok.kind == "fd" or tok.text in _REDIRECTS):
                line = line or tok.line
                redirects.append(self.redirect())
            elif tok.kind == "op" and tok.text == "(" and len(words) == 1 and self._is_function():
                return None
            else:
                break
        if not words and not redirects:
            return None
        return Simple(words, redirects, line, conditional or self.nesting > 0)

    def _keyword(self, tok: _Token) -> bool:
        """Skip a keyword at the start of a command; True when one was skipped."""
        if tok.text in _PREFIX_KEYWORDS or tok.text in _CLOSING_KEYWORDS:
            self.nesting += (tok.text in _OPENING) - (tok.text in _CLOSING_KEYWORDS)
            self.nesting = max(self.nesting, 0)
            self.k += 1
            return True
        if tok.text in _HEADER_KEYWORDS:
            self.nesting += 1
            while (t := self.peek()) is not None and t.kind != "newline" and t.text not in (";", "do"):
                self.k += 1
            return True
        return False

    def _is_function(self) -> bool:
        """`name ( )`: a function definition; its body, the group that follows, runs when it is called."""
        nxt = self.t[self.k + 1] if self.k + 1 < len(self.t) else None
        if nxt is not None and nxt.kind == "op" and nxt.text == ")":
            self.k += 2
            return True
        return False

    def redirects(self) -> list[Redirect]:
        out: list[Redirect] = []
        while (tok := self.peek()) is not None and (tok.kind == "fd" or (tok.kind == "op" and tok.text in _REDIRECTS)):
            out.append(self.redirect())
        return out

    def redirect(self) -> Redirect:
        fd: int | None = None
        tok = self.t[self.k]
        if tok.kind == "fd":
            fd = int(tok.text) if len(tok.text) < 4 else None
            self.k += 1
            tok = self.t[self.k]
        self.k += 1
        if tok.heredoc is not None:
            return Redirect(tok.text, fd, None, tok.heredoc)
        target = self.peek()
        if target is not None and target.kind in ("word", "fd") and target.word is not None:
            self.k += 1
            return Redirect(tok.text, fd, target.word)
        return Redirect(tok.text, fd, None)


def read_script(text: str) -> Script:
    """Split `text` into pipelines of commands, as bash would; never raises."""
    lexer = _Lexer(text)
    tokens = lexer.run()
    return Script(_Parser(tokens).commands(), lexer.comments)
