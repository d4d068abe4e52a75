"""The one text toolkit every stage uses: sentence spans, citation markers, words and stems, and numbers and dates
normalised for comparison.

The splitter is our own (a regex plus an abbreviation list) rather than llama-index's or NLTK's punkt: those need
bundled data files, do not return exact character spans, and still break at "No. 18" or "David G. Smith".
"""

from __future__ import annotations

import re

# -- citation markers -------------------------------------------------------------------------------------------

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


def markers(text: str) -> list[int]:
    """The block numbers cited in `text`, in order of appearance, without repeats: '[2] ... [1, 2]' -> [2, 1]."""
    found = [int(n) for group in MARKER.findall(text) for n in group.split(",")]
    return list(dict.fromkeys(found))


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


# -- sentences --------------------------------------------------------------------------------------------------

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr mt ft gen col lt sgt capt cpt maj rev hon gov sen rep pres inc ltd co corp bros
    dept univ assn est approx vs etc al fig figs vol vols ed eds pp ch sec art para no nos op cf ca jan feb mar apr
    jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun ave blvd rd hwy u.s e.g i.e a.m p.m""".split()
)
# An abbreviation that also ends sentences as a word ("Say no.") counts only before a number ("No. 18").
_ABBREVIATION_BEFORE_NUMBER = frozenset({"no", "nos", "op", "vol", "fig", "pp", "art", "sec", "ch"})

# A candidate end: terminal punctuation, closing quotes/brackets, then markers glued to the sentence.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*|(?<=\])(?=\s+[A-Z])")
_NEXT_STARTS = re.compile(r"\s+(?=[A-Z0-9\"'“‘(\[])")
_TOKEN_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(text: str, dot: int, follows: str) -> bool:
    """Is the '.' at text[dot] the end of an abbreviation or an initial rather than of a sentence?"""
    m = _TOKEN_BEFORE.search(text, max(0, dot - 12), dot + 1)
    if not m:
        return False
    token = m.group(1).lower()
    if len(token) == 1 and m.group(1).isupper():  # an initial: "David G. Smith", "J. R. R. Tolkien"
        return True
    if token in _ABBREVIATION_BEFORE_NUMBER:
        return follows[:1].isdigit()
    return token in ABBREVIATIONS or token.rstrip(".") in ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of `text`, trimmed of surrounding whitespace. A line break always ends
    a sentence (chunks keep table rows and list items on their own lines); markers after a full stop stay with
    the sentence before them ('... night. [1] Next' -> '... night. [1]', 'Next')."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, stop = line.start(), line.end()
        for m in _END.finditer(text, start, stop):
            gap = _NEXT_STARTS.match(text, m.end(), stop)
            if not gap:
                continue
            single_dot = m.group(0).startswith(".") and not m.group(0).startswith("..")
            if single_dot and _is_abbreviation(text, m.start(), text[gap.end() : gap.end() + 1]):
                continue
            out.append((start, m.end()))
            start = gap.end()
        out.append((start, stop))
    return [_trim(text, s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


# -- words and stems --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'-][A-Za-z0-9]+)*")

STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when where why how all any
    both each few more most other some such no nor not only own same so than too very can will just should now
    is are was were be been being have has had having do does did doing i me my we our you your he him his she
    her it its they them their what which who whom this that these those am would could may might must shall
    much many get got tell please know let us""".split()
)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'approvals'/'approved' with 'approve'."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


# -- numbers, dates and units -----------------------------------------------------------------------------------

MONTHS = {
    m[:3]: m
    for m in "january february march april may june july august september october november december".split()
}
_SPELLED = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
     "hundred": "100", "thousand": "1000", "dozen": "12"}
_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:st|nd|rd|th)?(?:\s*(thousand|million|billion|trillion)\b)?",
    re.IGNORECASE,
)
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
# 'twenty-five', 'two million', 'thirty-two thousand': spelled numbers, compound and scaled
_SPELLED_WORD = re.compile(
    rf"\b(?:({_TENS})[-\s]({_UNITS})|(" + "|".join(_SPELLED) + r"))\b(?:\s+(thousand|million|billion|trillion)\b)?",
    re.IGNORECASE,
)
# '2018–19', '1998-99': a season or range whose second year is cut to two digits
_YEAR_RANGE = re.compile(r"(?<![\w.])((?:1[89]|20)\d\d)\s*[-–]\s*(\d\d)(?![\w.])")
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")[a-z]*\.?(?=\W|$)", re.IGNORECASE)


def _spelled_value(m: re.Match) -> str:
    value = int(_SPELLED[m.group(1).lower()]) + int(_SPELLED[m.group(2).lower()]) if m.group(1) \
        else int(_SPELLED[m.group(3).lower()])
    return str(value * _SCALE[m.group(4).lower()]) if m.group(4) else str(value)


def normalize_number(integer: str, fraction: str | None = None, scale: str | None = None) -> str:
    """'1,850' -> '1850', '08' -> '8', '3.50' -> '3.5', ('2', '5', 'million') -> '2500000'."""
    digits = integer.replace(",", "").lstrip("0") or "0"
    frac = (fraction or "").rstrip("0")
    if scale:
        value = (int(digits) * 10 ** len(frac) + int(frac or 0)) * _SCALE[scale.lower()] // 10 ** len(frac)
        return str(value)
    return f"{digits}.{frac}" if frac else digits


def number_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised value) of every number in `text`, digits or spelled out ('two' -> '2',
    'twenty-five' -> '25'); the short second year of a range counts in full ('2018–19' -> 2018, 2019)."""
    found = [(m.start(), m.end(), normalize_number(m.group(1), m.group(2), m.group(3))) for m in _NUMBER.finditer(text)]
    found += [(m.start(), m.end(), _spelled_value(m)) for m in _SPELLED_WORD.finditer(text)]
    for m in _YEAR_RANGE.finditer(text):
        first, short = m.group(1), m.group(2)
        full = first[:2] + short if short >= first[2:] else str(int(first[:2]) + 1) + short
        found = [(a, b, full if a == m.start(2) else v) for a, b, v in found]
    return sorted(found)


def numbers(text: str) -> set[str]:
    return {v for _, _, v in number_spans(text)}


def month_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, full month name) of every month name or abbreviation: 'Sept.' -> 'september'. 'May' and 'March'
    count only next to a number ('May 8', '8 March'), since they are also ordinary words."""
    out = []
    for m in _MONTH.finditer(text):
        word = m.group(0).rstrip(".").lower()
        name = MONTHS[m.group(1).lower()]
        if not (name.startswith(word) and (len(word) >= 3)):
            continue
        if name in ("may", "march") and not re.search(r"\d\s*,?\s*$", text[max(0, m.start() - 4) : m.start()]) \
                and not re.match(r"\s*\d", text[m.end() : m.end() + 3]):
            continue
        out.append((m.start(), m.end(), name))
    return out
