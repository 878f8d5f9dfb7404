"""`python -m eval cost --index DIR`: the CPU cost of one query, worst case against typical.

The budget (README, "Cost of one query"): the longest valid query, 500 characters at k=50,
costs at most 3 times a typical 15-word question at k=10. Both are measured in the same run,
interleaved, and only their ratio is compared: an absolute time says more about the machine
than about the code. The cost is the CPU time of the searching thread with torch on that one
thread, so it counts the work done and not the time torch's idle threads spin on a busy
machine (on a shared 2-core machine that spinning made the ratio swing from 1.1 to 3).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from search_service.bounds import MAX_K, MAX_QUERY_CHARS

BUDGET_RATIO = 3.0
TYPICAL = ("comment une collectivité peut-elle soutenir une épicerie solidaire dans un "
           "quartier prioritaire de la ville")
TYPICAL_K = 10
# Words that occur all over the corpus, so the long French query matches (and highlights)
# as many passages as a question can.
CORPUS_WORDS = ("économie", "sociale", "solidaire", "collectivités", "territoires", "quartiers",
                "politique", "ville", "épicerie", "alimentation", "emploi", "insertion",
                "coopérative", "association", "habitants", "commune", "intercommunalité",
                "culture", "santé", "mobilité", "tiers-lieu")


def fill(words: tuple[str, ...] | list[str], separator: str = " ",
         limit: int = MAX_QUERY_CHARS) -> str:
    """Words repeated in order up to `limit` characters."""
    out, i = "", 0
    while len(out) + len(separator) + len(words[i % len(words)]) <= limit:
        out = f"{out}{separator if out else ''}{words[i % len(words)]}"
        i += 1
    return out


def worst_cases() -> dict[str, str]:
    """500-character questions: French corpus words, Chinese, emoji."""
    return {"french": fill(CORPUS_WORDS),
            "chinese": fill(["社会团结经济"], separator="", limit=MAX_QUERY_CHARS),
            "emoji": fill(["🥕", "🏘️", "🤝", "🚲"], separator="", limit=MAX_QUERY_CHARS)}


@dataclass(frozen=True)
class CostReport:
    typical_s: float
    worst_s: dict[str, float]
    repeats: int

    @property
    def ratio(self) -> float:
        return max(self.worst_s.values()) / self.typical_s

    def to_dict(self) -> dict[str, Any]:
        return {"typical_s": self.typical_s, "worst_s": self.worst_s, "ratio": self.ratio,
                "budget_ratio": BUDGET_RATIO, "repeats": self.repeats}


def _cpu(searcher: Any, query: str, k: int) -> float:
    from search_service.pipeline import run_search

    started = time.thread_time()
    run_search(searcher, query, k=k)
    return time.thread_time() - started


@contextmanager
def one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def measure_cost(searcher: Any, repeats: int = 7) -> CostReport:
    """Median CPU seconds of the typical question and of each worst case, interleaved."""
    cases = {"typical": (TYPICAL, TYPICAL_K)} | {
        name: (text, MAX_K) for name, text in worst_cases().items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    with one_torch_thread():
        for text, k in cases.values():  # warm-up: first calls allocate
            _cpu(searcher, text, k)
        for _ in range(repeats):
            for name, (text, k) in cases.items():
                samples[name].append(_cpu(searcher, text, k))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    typical = medians.pop("typical")
    return CostReport(typical, medians, repeats)


def format_cost(report: CostReport) -> str:
    lines = [f"typical ({len(TYPICAL.split())} words, k={TYPICAL_K}): "
             f"{report.typical_s * 1000:.0f} ms CPU"]
    for name, seconds in report.worst_s.items():
        lines.append(f"{name} ({MAX_QUERY_CHARS} characters, k={MAX_K}): "
                     f"{seconds * 1000:.0f} ms CPU, {seconds / report.typical_s:.2f}x")
    verdict = "within" if report.ratio <= BUDGET_RATIO else "OVER"
    lines.append(f"worst / typical: {report.ratio:.2f}x ({verdict} the {BUDGET_RATIO:g}x budget; "
                 f"median of {report.repeats} interleaved runs, one thread)")
    return "\n".join(lines)
