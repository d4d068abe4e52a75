"""Instruction-like text in documents (prompt injection), found by patterns: flagged on each chunk at ingest,
marked when evidence is framed for a model, never quoted by the extractive generator, and checked against answers.
Patterns, not a model: no classifier for this ships offline, and these read as plain rules in review."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grounded.contracts import InjectionKind

_I = re.IGNORECASE
_ADDRESSEE = re.compile(
    r"\b(ai|a\.i\.|assistants?|chat ?bots?|llms?|language models?|gpt|copilot)\b"
    r"|\b(if|when|whenever)\s+(anyone|someone|somebody|a user|the user|users|you are|you're|you get)\s+(is\s+)?ask"
    r"|\bwhoever asks\b|\bany question\b|\bevery question\b", _I)
# (kind, words one of which must occur in the lower-cased text (a cheap pre-check), the pattern)
_PATTERNS: list[tuple[InjectionKind, tuple[str, ...], re.Pattern[str]]] = [
    (InjectionKind.OVERRIDE, ("ignore", "disregard", "forget", "override", "bypass"), re.compile(
        r"(?<!not )(?<!never )(?<!n't )(?<!t to )\b(ignore|disregard|forget|override|bypass)\b[\s,]+(all\s+|any\s+|of\s+)*"
        r"(your|the|my|these|those|previous|prior|above|earlier|preceding|former|other|system)\b"
        r"(\s+(previous|prior|above|earlier|preceding|original|system|safety|existing))*\s+"
        r"(instructions?|prompts?|rules|guidelines|directions|directives|messages?|sources|context|guardrails)\b"
        r"|\bforget (everything|all)( you were told| above| before)?\b", _I)),
    (InjectionKind.OVERRIDE, ("instructions", "rules", "system prompt"), re.compile(
        r"\b(new|updated|real|actual) (instructions|rules|system prompt)\s*:", _I)),
    (InjectionKind.ROLE_PLAY, ("you are", "from now", "pretend", " as ", " mode", "your new"), re.compile(
        r"\byou are (now|no longer)\b|\bfrom now on,? (you|the assistant)\b|\bpretend (to be|you are)\b"
        r"|\b(act|behave|roleplay|role-play) as (an? )?(unrestricted|unfiltered|jailbroken|evil|different)\b"
        r"|\b(developer|jailbreak|god|dan) mode\b|\byour new (role|persona|name|task) is\b", _I)),
    (InjectionKind.FAKE_SYSTEM, ("system", "developer", "<", "[inst", "[sys", "begin "), re.compile(
        r"(^|\n)[ \t|>*#\[(]*(system|developer)( message| prompt| note| override)?[\])*]*\s*:"
        r"|<\|?(im_start|im_end|endoftext|eot_id|start_header_id|system)\|?>|\[/?(INST|SYS)\]|<</?SYS>>"
        r"|</?(source|system|instructions?)\b[^>]*>|\bBEGIN (SYSTEM|ADMIN) (PROMPT|MESSAGE|INSTRUCTIONS)\b", _I)),
    (InjectionKind.PROMPT_EXFILTRATION, ("prompt", "instructions", "rules", "configuration", "![", "send "), re.compile(
        r"\b(reveal|print|repeat|show|output|disclose|leak|share|display|dump|tell (me|us|the user))\b[\s\w]{0,20}?"
        r"\b(your\s+(\w+\s+)?(prompt|instructions|rules|configuration)"
        r"|(the|its|any)\s+(full\s+|complete\s+)?(system|hidden|initial|secret|original)\s+"
        r"(prompt|instructions|message))\b"
        r"|!\[[^\]]*\]\(https?://|\bsend (it|them|this|these|everything|the \w+) to (https?://|\S+@\S+)", _I)),
]
_ADDRESSEE_WORDS = ("ai", "assistant", "bot", "llm", "language model", "gpt", "copilot", "ask", "question")
_DICTATE = re.compile(
    r"(^\s*|[,:;.|]\s*|\b(must|should|always|only|and|then|please|just|simply|to)\s+)"
    r"(answer|respond|reply|say|tell (the user|them|everyone|every employee|people)|state|claim)\b"
    r"(?:[^\"“'‘.!?;|]{0,40}?\b(?:with|that|:)\s*[\"“'‘](?P<quoted>[^\"”'’\n]{1,80})"
    r"|\s*(?:only\s+)?(?:with\s+|that\s+|:\s*)?(?P<value>[^\"'”’\n.!?;|]{1,80}))", _I)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Finding:
    kind: InjectionKind
    start: int  # the paragraph (or table row) holding the instruction, as a span of the scanned text
    end: int
    dictated: str | None = None  # what it tells the assistant to answer, when it says


def scan(text: str) -> list[Finding]:
    """Every instruction-like paragraph (or table row) in `text`, by kind. A paragraph is the unit because an
    injection often spreads over sentences ("You are now X. As X you say ...")."""
    found: dict[tuple[InjectionKind, int, int], Finding] = {}
    low = text.lower()
    patterns = [(kind, p) for kind, words, p in _PATTERNS if any(w in low for w in words)]
    addressed = any(w in low for w in _ADDRESSEE_WORDS)
    if not patterns and not addressed:
        return []
    for start, end in blocks(text):
        block = text[start:end]
        for kind, pattern in patterns:
            if pattern.search(block):
                found.setdefault((kind, start, end), Finding(kind, start, end, dictated(block)))
        if addressed and _ADDRESSEE.search(block) and (value := dictated(block)):
            found.setdefault((InjectionKind.DICTATED_ANSWER, start, end),
                             Finding(InjectionKind.DICTATED_ANSWER, start, end, value))
    return list(found.values())


def kinds(text: str) -> list[InjectionKind]:
    return sorted({f.kind for f in scan(text)})


def instruction_spans(text: str) -> list[tuple[int, int]]:
    return sorted({(f.start, f.end) for f in scan(text)})


def overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def dictated(text: str) -> str | None:
    """The answer an instruction dictates ("... answer 42", "reply with 'X'"), if it names one."""
    m = _DICTATE.search(text)
    if not m:
        return None
    value = (m.group("quoted") or m.group("value") or "").strip(" ,:-")
    return value or None


def blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs (split at blank lines); a paragraph of table rows (' | ') is split into its rows."""
    spans, start = [], 0
    for m in [*_BLANK_LINE.finditer(text), None]:
        end = m.start() if m else len(text)
        para = text[start:end]
        if para.strip():
            if " | " in para or para.lstrip().startswith("|"):
                offset = start
                for row in para.split("\n"):
                    if row.strip():
                        spans.append((offset, offset + len(row)))
                    offset += len(row) + 1
            else:
                spans.append((start, end))
        start = m.end() if m else end
    return spans
