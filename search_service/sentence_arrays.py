"""Every stored sentence's facts as arrays, built once per index version at load.

A search scores the sentences of some twenty passages by hand and, with the learned choice,
computes a feature row for each of ~70 of them. Done sentence by sentence in Python that was
most of a search's work after its vector (issue 19); here what depends on the sentence alone
(its terms, its BM25 weights per visibility, whether it holds a date, a number, a name…, its
place in its passage, whether it is a heading or a list fragment) is laid out at load, so a
search's part is a row selection and a few sparse products.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from indexer.sentences import Sentence
from search_service.answer_span import _ASKS
from search_service.quote_window import is_heading

K1, B = 1.2, 0.75  # the sentence-level BM25's constants
_FRAGMENT = re.compile(r"^\s*([-•*–]|\d+[.)]\s)")
# The columns of `SentenceArrays.place`.
PLACE = ("first", "position", "heading", "fragment", "log_len")


@dataclass(frozen=True)
class SentenceArrays:
    """Rows are `data.sentences`' rows; columns of the sparse matrices are `vocab`'s terms."""

    sentences: tuple[Sentence, ...]
    vocab: Mapping[str, int]
    held: sparse.csr_matrix  # 1 where the sentence holds the term
    bm25: Mapping[str, sparse.csr_matrix]  # per visibility: the term's BM25 in the sentence
    place: np.ndarray  # rows × PLACE
    asks: Mapping[re.Pattern[str], np.ndarray]  # per answer type: the sentence holds one

    @classmethod
    def build(cls, passages: Sequence[str], rows: Sequence[Mapping[str, int]],
              counts: Sequence[Counter[str]], idf: Mapping[str, Mapping[str, float]],
              avg_len: Mapping[str, float]) -> SentenceArrays:
        """From the passages' texts, the sentence rows (passage, start, end), each sentence's
        term counts and, per visibility, the sentence IDF of each term and the mean length."""
        sentences = tuple(Sentence(passages[r["passage"]][r["start"]:r["end"]], r["start"],
                                   r["end"]) for r in rows)
        vocab: dict[str, int] = {}
        indptr, cols, tfs = [0], [], []
        for c in counts:
            for term, n in c.items():
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(float(n))
            indptr.append(len(cols))
        shape = (len(rows), len(vocab))
        col = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(tfs)
        ptr = np.asarray(indptr, dtype=np.int64)
        held = sparse.csr_matrix((np.ones_like(tf), col, ptr), shape=shape)
        lengths = np.repeat(np.array([sum(c.values()) for c in counts], dtype=float),
                            np.diff(ptr))
        terms = list(vocab)
        bm25 = {}
        for who, weights in idf.items():
            per_term = np.array([weights.get(t, 0.0) for t in terms])
            norm = K1 * (1 - B + B * lengths / max(avg_len[who], 1.0))
            data = per_term[col] * tf * (K1 + 1) / (tf + norm)
            bm25[who] = sparse.csr_matrix((data, col, ptr), shape=shape)
        return cls(sentences, vocab, held, bm25, _place(passages, rows, sentences),
                   {holds: np.array([holds.search(s.text) is not None for s in sentences],
                                    dtype=bool) for _, holds in _ASKS})

    def held_count(self, terms: Sequence[str], weights: Sequence[float] | None = None
                   ) -> np.ndarray:
        """Per sentence (every row), how many of `terms` it holds, or their summed `weights`.

        One product over the whole matrix: at this corpus's size (a few thousand sentences)
        it costs less than selecting a search's rows first."""
        return self.held @ self._columns(terms, weights)

    def bm25_of(self, who: str, terms: Sequence[str]) -> np.ndarray:
        """Per sentence (every row), its BM25 for `terms` with visibility `who`'s counts."""
        return self.bm25[who] @ self._columns(terms)

    def _columns(self, terms: Sequence[str], weights: Sequence[float] | None = None
                 ) -> np.ndarray:
        """A vocabulary-long vector: `weights` (default 1) at the columns of `terms`; terms no
        sentence holds have no column and add nothing."""
        out = np.zeros(len(self.vocab))
        for k, term in enumerate(terms):
            j = self.vocab.get(term)
            if j is not None:
                out[j] = 1.0 if weights is None else weights[k]
        return out


def _place(passages: Sequence[str], rows: Sequence[Mapping[str, int]],
           sentences: Sequence[Sentence]) -> np.ndarray:
    """Per sentence: first of its passage, its position (0 first … 1 last), heading, list
    fragment, log of its length in characters."""
    of: Counter[int] = Counter(r["passage"] for r in rows)
    order: Counter[int] = Counter()
    out = np.zeros((len(rows), len(PLACE)))
    for k, (r, s) in enumerate(zip(rows, sentences, strict=True)):
        j = order[r["passage"]]
        order[r["passage"]] += 1
        out[k] = (1.0 if j == 0 else 0.0, j / max(of[r["passage"]] - 1, 1),
                  1.0 if is_heading(passages[r["passage"]], s) else 0.0,
                  1.0 if _FRAGMENT.match(s.text) else 0.0, math.log1p(len(s.text)))
    return out
