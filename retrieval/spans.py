"""A short answer span completed from the source it was copied from.

Asked for "the shortest exact phrase", a small model often copies a bare amount: "95" where the source says
"EUR 95", "12" for "12 days". The span is widened to the currency before it and the unit or counted noun after
it, so the answer says what the source says. Only spans that are a bare number change, and only with words that
stand next to it in the source (the result is still an exact substring of the source)."""

from __future__ import annotations

import re

from grounded.text import STOPWORDS

_BARE_NUMBER = re.compile(r"[+-]?\d[\d,.]*")
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:EUR|USD|GBP|CHF|JPY|CAD|AUD|INR|SEK|NOK|DKK|Rs\.?)\s?)$")
_UNIT_AFTER = re.compile(r"^(?:\s?%|\s?(?:per ?cent|percent)\b|\s(?P<word>[^\W\d_][\w-]*))")
_YEAR = re.compile(r"1[0-9]{3}|20[0-9]{2}")
_NOT_A_UNIT = STOPWORDS | {"per", "each", "every", "times"}


def complete_span(span: str, source: str) -> str:
    """`span` widened to its currency and unit where it is a bare number in `source`; else `span` unchanged."""
    if not _BARE_NUMBER.fullmatch(span):
        return span
    found = re.search(rf"(?<![\w.,]){re.escape(span)}(?![\w]|[.,]\d)", source)
    if found is None:
        return span
    start, end = found.span()
    before = _CURRENCY_BEFORE.search(source[:start])
    if before:
        start = before.start()
    after = _UNIT_AFTER.match(source[end:])
    counted = after is not None and (after["word"] is None or after["word"].lower() not in _NOT_A_UNIT)
    if counted and not (after["word"] and _YEAR.fullmatch(span)):  # "1932 the" / "1932 Olympics": a year stays a year
        end += after.end()
    return source[start:end]
