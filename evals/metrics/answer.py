"""SQuAD-style answer accuracy: normalised exact match and token F1, best over the references."""

import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """Lowercase, drop ASCII punctuation and the articles a/an/the, collapse whitespace (SQuAD script)."""
    text = text.lower().translate(_PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _token_f1(prediction: str, reference: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    ref_tokens = normalize_answer(reference).split()
    if not pred_tokens or not ref_tokens:
        return float(pred_tokens == ref_tokens)
    common = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, references: Sequence[str]) -> float | None:
    """1.0 if the normalised prediction equals any normalised reference, else 0.0.

    ``None`` when there are no references (unanswerable questions are scored by the abstention
    metrics instead). Pass ``""`` as the prediction when the system abstained on an answerable question.
    """
    if not references:
        return None
    norm = normalize_answer(prediction)
    return float(any(norm == normalize_answer(ref) for ref in references))


def token_f1(prediction: str, references: Sequence[str]) -> float | None:
    """Max over references of the bag-of-tokens F1 of the normalised strings; ``None`` without references.

    As in the SQuAD script, if either side normalises to no tokens the score is 1.0 when both do, else 0.0.
    """
    if not references:
        return None
    return max(_token_f1(prediction, ref) for ref in references)
