"""Run the question set through a searcher (in-process or over HTTP) and score it.

Public runs (no member token) judge only what the public may see: private
resources leave the qrels, and a question answered only by private resources
becomes a no-answer question for that run.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from eval.data import QuestionSet
from eval.metrics import answer_containment, evaluate, no_answer_scores, private_leaks


@dataclass(frozen=True)
class Outcome:
    """What a searcher said about one question."""

    ranked: list[str]
    confident: bool
    answer: str | None
    confidence: float | None = None


Backend = Callable[[str, str], Outcome]


@dataclass
class RunReport:
    mode: str
    split: str
    member: bool
    rows: dict[str, dict[str, float]]
    no_answer: dict[str, float]
    containment: float
    leaks: dict[str, list[str]]
    outcomes: dict[str, Outcome] = field(default_factory=dict)


def visible_qrels(qs: QuestionSet, private_ids: set[str], member: bool
                  ) -> tuple[dict[str, dict[str, int]], set[str]]:
    """The qrels a run is judged on, and its unanswerable questions."""
    unanswerable = set(qs.unanswerable())
    if member:
        return {q: dict(r) for q, r in qs.qrels.items()}, unanswerable
    qrels = {}
    for qid, rels in qs.qrels.items():
        public = {d: g for d, g in rels.items() if d not in private_ids}
        if any(g > 0 for g in public.values()):
            qrels[qid] = public
        else:
            unanswerable.add(qid)
    return qrels, unanswerable


def run_questions(qs: QuestionSet, backend: Backend, mode: str, split: str,
                  private_ids: set[str], member: bool = False) -> RunReport:
    outcomes = {q.id: backend(q.text, mode) for q in qs.queries}
    results = {qid: o.ranked for qid, o in outcomes.items()}
    qrels, unanswerable = visible_qrels(qs, private_ids, member)
    spans = {qid: s for qid, s in qs.answer_spans().items() if qid in qrels}
    return RunReport(
        mode=mode, split=split, member=member,
        rows=evaluate(results, qrels, qs.categories()),
        no_answer=no_answer_scores({q: o.confident for q, o in outcomes.items()}, unanswerable),
        containment=answer_containment({q: o.answer for q, o in outcomes.items()}, spans),
        leaks={} if member else private_leaks(results, private_ids),
        outcomes=outcomes,
    )


def _outcome(body: dict[str, Any]) -> Outcome:
    results = body["results"]
    return Outcome(
        ranked=[r["resource"]["id"] for r in results],
        confident=bool(body["confident"]),
        answer=(body.get("answer") or {}).get("text"),
        confidence=body.get("confidence"),
    )


def in_process_backend(searcher: Any, k: int = 10, member: bool = False) -> Backend:
    """Calls the service's own search pipeline, without HTTP."""
    from search_service.pipeline import run_search
    from search_service.retrieval import Filters

    def run(text: str, mode: str) -> Outcome:
        response = run_search(searcher, text, k=k, mode=mode,
                              filters=Filters(member=member))
        return _outcome(asdict(response))

    return run


def http_backend(url: str, k: int = 10, token: str | None = None,
                 timeout: float = 30.0) -> Backend:
    """Scores a live service through its HTTP contract (run it with the client allow-listed)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def run(text: str, mode: str) -> Outcome:
        query = urllib.parse.urlencode({"q": text, "k": k, "mode": mode})
        request = urllib.request.Request(f"{url.rstrip('/')}/api/search?{query}",
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _outcome(json.load(response))

    return run
