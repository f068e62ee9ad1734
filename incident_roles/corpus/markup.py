"""Inline markup ``[span text](LABEL)`` to plain text and character spans, and back."""
from __future__ import annotations

import re
from dataclasses import dataclass

from incident_roles.labels import DETERMINERS, HEDGES, LABELS
from incident_roles.text import ends_with_abbreviation  # noqa: F401  (re-exported)

_LABEL_RE = re.compile(r"\]\(([A-Za-z_]*)\)")
_EDGE_PUNCT = set(".,;:!?\"'“”‘’()-–—/")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label}


class MarkupError(ValueError):
    """A problem in an annotated report, located by file, line and column."""

    def __init__(self, message: str, source: str = "<text>", line: int = 1, column: int = 1):
        self.source, self.line, self.column, self.reason = source, line, column, message
        super().__init__(f"{source}:{line}:{column}: {message}")


def _where(markup: str, index: int) -> tuple[int, int]:
    line = markup.count("\n", 0, index) + 1
    column = index - (markup.rfind("\n", 0, index) + 1) + 1
    return line, column


def parse_markup(markup: str, source: str = "<text>", first_line: int = 1) -> tuple[str, list[Span]]:
    """Return the plain text and its spans for ``markup``.

    Raises MarkupError (with ``source`` and the 1-based line of the problem, counted from
    ``first_line``) on an unclosed or stray bracket, an unknown label, an empty span or a span
    with a newline in it. Boundary rules (determiners, punctuation) are checked by ``span_problems``.
    """
    plain: list[str] = []
    spans: list[Span] = []
    pos = 0
    out_len = 0

    def fail(message: str, index: int) -> MarkupError:
        line, column = _where(markup, index)
        return MarkupError(message, source, line + first_line - 1, column)

    while pos < len(markup):
        open_at = markup.find("[", pos)
        close_at = markup.find("]", pos)
        if close_at != -1 and (open_at == -1 or close_at < open_at):
            raise fail("']' without a matching '['", close_at)
        if open_at == -1:
            plain.append(markup[pos:])
            break
        plain.append(markup[pos:open_at])
        out_len += open_at - pos
        end_at = markup.find("]", open_at + 1)
        nested = markup.find("[", open_at + 1)
        if end_at == -1:
            raise fail("'[' is never closed with '](LABEL)'", open_at)
        if nested != -1 and nested < end_at:
            raise fail("spans never nest: '[' inside another span", nested)
        inner = markup[open_at + 1 : end_at]
        if "\n" in inner:
            raise fail("a span may not cross a line break", open_at)
        match = _LABEL_RE.match(markup, end_at)
        if not match:
            raise fail("']' must be followed by '(LABEL)'", end_at)
        label = match.group(1)
        if label not in LABELS:
            raise fail(f"unknown label '{label}' (expected one of {', '.join(LABELS)})", end_at + 2)
        if not inner.strip():
            raise fail("empty span", open_at)
        spans.append(Span(out_len, out_len + len(inner), label))
        plain.append(inner)
        out_len += len(inner)
        pos = match.end()
    return "".join(plain), spans


def span_problems(text: str, span: Span) -> list[str]:
    """Guideline violations of one span's boundaries (rules 3 and 4 and whole words), as messages."""
    s = text[span.start : span.end]
    problems = []
    if s != s.strip():
        problems.append(f"span '{s}' starts or ends with whitespace")
    stripped = s.strip()
    if stripped and (stripped[0] in _EDGE_PUNCT or stripped[-1] in _EDGE_PUNCT):
        # The period of an abbreviation such as U.S. is tolerated at the end (rule 4).
        if stripped[0] in _EDGE_PUNCT or not ends_with_abbreviation(stripped):
            problems.append(f"span '{s}' starts or ends with punctuation (rule 4)")
    first = stripped.split()[0].lower() if stripped.split() else ""
    if first in DETERMINERS:
        problems.append(f"span '{s}' starts with the determiner '{first}' (rule 3)")
    if first in HEDGES:
        problems.append(f"span '{s}' starts with the hedge '{first}' (rule 3)")
    if span.start > 0 and text[span.start - 1].isalnum() and text[span.start].isalnum():
        problems.append(f"span '{s}' starts inside a word (rule 1)")
    if span.end < len(text) and text[span.end].isalnum() and text[span.end - 1].isalnum():
        problems.append(f"span '{s}' ends inside a word (rule 1)")
    return problems


def to_markup(text: str, spans: list[Span] | list[dict]) -> str:
    """Inverse of ``parse_markup``: write spans back into the text as ``[span](LABEL)``."""
    items = sorted((s if isinstance(s, Span) else Span(**s) for s in spans), key=lambda s: s.start)
    out, pos = [], 0
    for s in items:
        if s.start < pos:
            raise ValueError(f"overlapping spans at character {s.start}")
        out += [text[pos : s.start], "[", text[s.start : s.end], "](", s.label, ")"]
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
