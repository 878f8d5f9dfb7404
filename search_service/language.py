"""The language of a question: `langdetect`'s answer, computed in a fraction of its time.

`langdetect.detect` spends ~3–5 ms per short question updating 55 language probabilities
one Python float at a time. `detect_language` runs the same algorithm — the same profiles,
the same text cleaning and n-grams, the same seeded random draws, the same convergence test —
with each update done on a NumPy vector. Every operation is the same IEEE one in the same
order (element-wise adds, multiplies and divides; the normalising sum with Python's `sum`
as langdetect does), so the answer is langdetect's exactly (tests/test_language.py checks
it on every question of the question set and every sentence of the seeds).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

UNKNOWN = "unknown"  # what langdetect answers when no language passes its threshold


_LOADING = threading.Lock()


@lru_cache(maxsize=1)
def _factory() -> Any:
    """langdetect's profiles, loaded once. Under a lock: langdetect publishes its factory
    before the profiles are in it, so a second thread could see it empty (« Need to load
    profiles »)."""
    from langdetect import detector_factory

    with _LOADING:
        detector_factory.init_factory()
        detector_factory.DetectorFactory.seed = 0  # as the seeded `langdetect.detect`
        return detector_factory._factory


def load_profiles() -> None:
    """Load the profiles now (the service does it at start-up, not on a first request)."""
    _factory()


class _Rows:
    """langdetect's per-language probabilities of the n-grams seen so far, as matrix rows.

    Grown on demand (French questions meet a few thousand of its 87,598 n-grams), so a
    question's table is one fancy index, not a conversion of Python lists."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._matrix = np.empty((0, 0))
        self._lock = threading.Lock()

    def table(self, grams: list[str], probabilities: dict[str, list[float]]) -> np.ndarray:
        index = self._index
        if any(g not in index for g in grams):
            with self._lock:
                self._add([g for g in dict.fromkeys(grams) if g not in index], probabilities)
        rows = [index[g] for g in grams]  # before the matrix: a row indexed is in it
        return self._matrix[rows]

    def _add(self, new: list[str], probabilities: dict[str, list[float]]) -> None:
        new = [g for g in new if g not in self._index]  # another thread may have added some
        if not new:
            return
        rows = np.array([probabilities[g] for g in new], dtype=np.float64)
        start = len(self._index)
        if start + len(new) > len(self._matrix):
            grown = np.empty((max(2 * len(self._matrix), start + len(new), 1024), rows.shape[1]))
            if start:
                grown[:start] = self._matrix[:start]
            self._matrix = grown
        self._matrix[start:start + len(new)] = rows
        self._index.update((g, start + n) for n, g in enumerate(new))


_ROWS = _Rows()


def _trial(table: np.ndarray, detector: Any, rng: Any) -> np.ndarray:
    """One of langdetect's trials (`Detector._detect_block`'s inner loop) on vectors.

    langdetect draws an n-gram (`random.choice`, i.e. `_randbelow(len)`) and multiplies it
    in, and tests convergence after the 1st, 6th, 11th… draw; so the draws come in whole
    blocks (1, then 5s) and each block's products are taken in draw order by one
    reduction along the rows (NumPy multiplies rows one after the other)."""
    count, size = table.shape
    prob = np.full(size, 1.0 / size)
    alpha = detector.alpha + rng.gauss(0.0, 1.0) * detector.ALPHA_WIDTH
    weighted = alpha / detector.BASE_FREQ + table
    rows = np.empty((6, size))
    draw, take, reduce = rng._randbelow, weighted.take, np.multiply.reduce
    threshold, limit = detector.CONV_THRESHOLD, detector.ITERATION_LIMIT
    first, rest = rows[:2], rows[1:]
    rows[0] = prob
    take([draw(count)], axis=0, out=rows[1:2])  # the first block: one draw
    reduce(first, axis=0, out=prob)
    done = 1
    while True:
        prob /= sum(prob.tolist())
        if prob.max() > threshold or done - 1 >= limit:
            return prob
        rows[0] = prob
        take([draw(count), draw(count), draw(count), draw(count), draw(count)], axis=0,
             out=rest)
        reduce(rows, axis=0, out=prob)
        done += 5


def detect_language(text: str) -> str | None:
    """langdetect's language code for `text` (seed 0), None when it finds no feature."""
    factory = _factory()
    detector = factory.create()
    detector.append(text)
    detector.cleaning_text()
    grams = detector._extract_ngrams()
    if not grams:
        return None
    table = _ROWS.table(grams, factory.word_lang_prob_map)
    rng = detector.random
    rng.seed(detector.seed)
    langprob = np.zeros(table.shape[1])
    for _ in range(detector.n_trial):
        langprob += _trial(table, detector, rng) / detector.n_trial
    ranked = detector._sort_probability(langprob.tolist())
    return ranked[0].lang if ranked else UNKNOWN
