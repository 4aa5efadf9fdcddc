"""Search conditions and treatments by name, synonym or text.

Text is normalised before matching: lower case, punctuation, hyphens and
underscores become spaces, and simple plural endings are removed
("injections" -> "injection", "injuries" -> "injury").  A query word that
matches nothing is replaced by the closest known word (so "carbamezapine"
finds carbamazepine), with a small score penalty.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import SearchHit

_NON_WORD = re.compile(r"[^a-z0-9]+")

STOP_WORDS: frozenset[str] = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "at",
        "by",
        "for",
        "from",
        "in",
        "is",
        "my",
        "of",
        "on",
        "or",
        "the",
        "these",
        "this",
        "to",
        "with",
        "your",
    }
)
"""Words ignored when matching."""


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "ys"))
    ):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Normalise text for matching.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        Lower-case words separated by single spaces, plural endings and
        common small words (:data:`STOP_WORDS`) removed.

    Examples
    --------
    >>> normalise("Costo-vertebral joint INJECTIONS")
    'costo vertebral joint injection'
    >>> normalise("Damage to these nerves")
    'damage nerve'
    """
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(
        _stem(w) for w in _NON_WORD.sub(" ", text).split() if w not in STOP_WORDS
    )


@dataclass(frozen=True)
class IndexedDoc:
    """One searchable entry or variant (see :func:`build_index`)."""

    section: str
    entry_id: str
    variant_id: str | None
    name: str
    exact: tuple[tuple[str, str], ...]  # (normalised name or id, label)
    synonyms: tuple[tuple[str, str], ...]  # (normalised synonym, original)
    text: str
    text_words: frozenset[str]


@dataclass(frozen=True)
class SearchIndex:
    """All searchable documents plus the vocabulary for spelling correction."""

    docs: tuple[IndexedDoc, ...]
    vocabulary: tuple[str, ...]


def build_index(
    records: Iterable[
        tuple[str, str, str | None, str, str, Iterable[str], Iterable[str]]
    ],
) -> SearchIndex:
    """Build the search index.

    Parameters
    ----------
    records : iterable of tuple
        ``(section, entry_id, variant_id, id_or_variant_id, name, synonyms,
        texts)`` for every entry and variant.

    Returns
    -------
    SearchIndex
        The index used by :func:`run_search`.
    """
    docs = []
    vocab: set[str] = set()
    for section, entry_id, variant_id, own_id, name, synonyms, texts in records:
        exact = ((normalise(own_id), "id"), (normalise(name), "name"))
        syns = tuple((normalise(s), s) for s in synonyms)
        text = normalise(" ".join(texts))
        for value, _ in exact + syns:
            vocab.update(value.split())
        words = frozenset(text.split())
        vocab.update(words)
        docs.append(
            IndexedDoc(section, entry_id, variant_id, name, exact, syns, text, words)
        )
    return SearchIndex(tuple(docs), tuple(sorted(vocab)))


def _contains_phrase(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in f" {haystack} "


def _score_doc(doc: IndexedDoc, q: str) -> tuple[int, str, int]:
    """Return (score, what matched, length of the matched name) for one document."""
    words = q.split()
    squashed = q.replace(" ", "")
    best, why, length = 0, "", 0
    names = [(v, lab) for v, lab in doc.exact] + [
        (v, f"synonym '{orig}'") for v, orig in doc.synonyms
    ]
    for value, label in names:
        is_name = label in ("id", "name")
        if value == q or value.replace(" ", "") == squashed:
            score = 100 if is_name else 90
        elif (
            value.startswith(q + " ")
            or value.replace(" ", "").startswith(squashed)
            and len(squashed) >= 5
        ):
            score = 80
        elif _contains_phrase(value, q):
            score = 70
        elif len(squashed) >= 5 and squashed in value.replace(" ", ""):
            score = 65
        elif all(w in value.split() for w in words):
            score = 60
        elif value and set(value.split()) <= set(words):
            score = 55  # the query is more specific than this name
        else:
            continue
        if score > best or (score == best and len(value) < length):
            best, why, length = score, label, len(value)
    if best:
        return best, why, length
    if _contains_phrase(doc.text, q):
        return 40, "text", len(doc.text)
    if all(w in doc.text_words for w in words):
        return 30, "text", len(doc.text)
    return 0, "", 0


def run_search(
    index: SearchIndex, query: str, limit: int = 10
) -> tuple[SearchHit, ...]:
    """Search the index.

    Parameters
    ----------
    index : SearchIndex
        Built by :func:`build_index`.
    query : str
        Words to look for.
    limit : int, default: 10
        Maximum number of hits.

    Returns
    -------
    tuple of SearchHit
        Best first; equal scores go to whole entries before variants, then
        to the closer (shorter) matching name, then to conditions.
    """
    q = normalise(query)
    if not q:
        return ()
    penalty = 0
    known = set(index.vocabulary)
    unknown = [w for w in q.split() if w not in known]
    if unknown:
        fixed = []
        for w in q.split():
            if w in known:
                fixed.append(w)
                continue
            close = difflib.get_close_matches(w, index.vocabulary, n=1, cutoff=0.8)
            fixed.append(close[0] if close else w)
        corrected = " ".join(fixed)
        if corrected != q:
            q, penalty = corrected, 5
    ranked = []
    for doc in index.docs:
        score, why, length = _score_doc(doc, q)
        if score:
            hit = SearchHit(
                score - penalty,
                doc.section,
                doc.entry_id,
                doc.variant_id,
                doc.name,
                why,
            )
            key = (
                -hit.score,
                hit.variant_id is not None,
                length,
                hit.section != "conditions",
                hit.entry_id,
            )
            ranked.append((key, hit))
    ranked.sort(key=lambda pair: pair[0])
    return tuple(hit for _, hit in ranked[:limit])
