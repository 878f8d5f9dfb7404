"""Off-the-shelf peers on our question set: what a team would get without this service.

Each peer indexes the same passages (the version's own ~120-word chunks, public ones only
for a public run, which is how a peer keeps private text out) with the same e5 model, and
its passage ranking becomes a resource ranking by each resource's best passage. Scored with
`eval run`'s metrics on the public qrels, beside this service's hybrid run in the same
process:

- **txtai** (`txtai.Embeddings`, hybrid): the version's e5 encoder with the e5 prompts,
  txtai's BM25 over edge n-grams (3–6 characters) with its « bayes » score calibration,
  fused by its log-odds rule — the best setup of issue 17's external set.
- **bm25s + e5, RRF**: bm25s over French words (Snowball stemmer, bm25s's French stop
  words), FAISS inner product, reciprocal rank fusion (k 60): the plainest hybrid.

    python -m eval peers --index DIR --split all

Used to see where the service stands, never to choose a setting.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import SPLITS, QuestionSet, default_eval_dir, load_question_set
from eval.metrics import evaluate
from eval.runner import visible_qrels
from eval.tables import fixed_table

Ranker = Callable[[str, np.ndarray], list[int]]  # question, its vector → passage positions
COLUMNS = ("overall", "paraphrase", "thematic", "factual", "keyword", "typo", "foreign")
RRF_K = 60
QUERY, PASSAGE = "query: ", "passage: "  # e5's prompts, as txtai's instructions
DEPTH = 100


def resource_ranking(positions: Sequence[int], resource_of: Sequence[str], k: int = 10
                     ) -> list[str]:
    """Resources in the order of their best passage, first `k`."""
    out: list[str] = []
    for position in positions:
        rid = resource_of[position]
        if rid not in out:
            out.append(rid)
            if len(out) == k:
                break
    return out


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion of several rankings of the same items."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores, key=lambda item: -scores[item])


def txtai_ranker(texts: Sequence[str], embedder: Any) -> Ranker:
    """txtai's hybrid index over `texts`; its dense half calls `embedder` (the version's e5
    encoder, the one this service searches with) through txtai's external vectors, with
    txtai's e5 instructions, so no second copy of the model is loaded or looked up."""
    from txtai import Embeddings

    def transform(batch: Sequence[str]) -> np.ndarray:
        if all(t.startswith(QUERY) for t in batch):
            return embedder.encode_queries([t[len(QUERY):] for t in batch])
        return embedder.encode_passages([t[len(PASSAGE):] for t in batch])

    embeddings = Embeddings(
        method="external", transform=transform, content=False, hybrid=True,
        instructions={"query": QUERY, "data": PASSAGE},
        scoring={"method": "bm25", "terms": True, "normalize": "bayes",
                 "tokenizer": {"ngrams": {"nmin": 3, "nmax": 6, "edge": True}}})
    embeddings.index(list(enumerate(texts)))

    def rank(question: str, _vector: np.ndarray) -> list[int]:
        return [int(uid) for uid, _ in embeddings.search(question, DEPTH)]

    return rank


def bm25s_rrf_ranker(texts: Sequence[str], vectors: np.ndarray) -> Ranker:
    """bm25s over French stemmed words and exact e5 inner product, fused by RRF."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("french")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(texts), stopwords="fr", stemmer=stemmer,
                                   show_progress=False), show_progress=False)
    depth = min(DEPTH, len(texts))

    def rank(question: str, vector: np.ndarray) -> list[int]:
        tokens = bm25s.tokenize([question], stopwords="fr", stemmer=stemmer,
                                show_progress=False)
        ids, scores = retriever.retrieve(tokens, k=depth, show_progress=False)
        lexical = [int(i) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        dense = list(np.argsort(-(vectors @ vector), kind="stable")[:depth])
        return rrf([lexical, [int(i) for i in dense]])

    return rank


def peer_results(rank: Ranker, qs: QuestionSet, vectors: dict[str, np.ndarray],
                 resource_of: Sequence[str]) -> dict[str, list[str]]:
    return {q.id: resource_ranking(rank(q.text, vectors[q.id]), resource_of)
            for q in qs.queries}


def compare(index: Path, splits: Sequence[str], eval_dir: Path,
            peers: Sequence[str] = ("txtai", "bm25s")) -> dict[str, dict[str, dict]]:
    """{split: {setup: evaluate(...) rows}} for this service's hybrid run and each peer."""
    from search_service.loading import load_searcher
    from search_service.retrieval import Filters

    searcher = load_searcher(index)
    public = [i for i, p in enumerate(searcher.data.passages)
              if not searcher.resources[p["resource_id"]]["private"]]
    texts = [searcher.data.passages[i]["text"] for i in public]
    resource_of = [searcher.data.passages[i]["resource_id"] for i in public]
    private = {rid for rid, r in searcher.resources.items() if r["private"]}
    rankers: dict[str, Ranker] = {}
    if "txtai" in peers:
        rankers["txtai hybrid (edge n-grams, bayes)"] = txtai_ranker(texts, searcher.embedder)
    if "bm25s" in peers:
        rankers["bm25s + e5, RRF"] = bm25s_rrf_ranker(texts, searcher.data.vectors[public])
    out: dict[str, dict[str, dict]] = {}
    full = load_question_set(eval_dir)
    for split in splits:
        qs = full.split(split)
        qrels, _ = visible_qrels(qs, private, member=False)
        vectors = {q.id: searcher.encode_query(q.text) for q in qs.queries}
        ours = {q.id: [h.resource["id"] for h in searcher.search(
            q.text, k=10, filters=Filters(), query_vector=vectors[q.id])] for q in qs.queries}
        rows = {"this service (hybrid)": evaluate(ours, qrels, qs.categories())}
        for name, rank in rankers.items():
            rows[name] = evaluate(peer_results(rank, qs, vectors, resource_of), qrels,
                                  qs.categories())
        out[split] = rows
    return out


def format_peers(result: dict[str, dict[str, dict[str, Any]]]) -> str:
    head = ["split · setup", *(f"nDCG@10 {c}" if c == "overall" else c for c in COLUMNS)]
    body = [[f"{split} · {setup}",
             *(f"{rows[c]['nDCG@10']:.3f}" if c in rows else "–" for c in COLUMNS)]
            for split, setups in result.items() for setup, rows in setups.items()]
    return fixed_table(head, body)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("peers", help="off-the-shelf setups (txtai, bm25s + e5 RRF) on the "
                       "same passages and questions, beside this service")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--split", default="all", choices=(*SPLITS, "all"))
    p.add_argument("--peer", action="append", choices=("txtai", "bm25s"),
                   help="only these peers (default: both)")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    splits = SPLITS if args.split == "all" else (args.split,)
    print(format_peers(compare(args.index, splits, args.eval_dir,
                               tuple(args.peer or ("txtai", "bm25s")))))
    return 0
