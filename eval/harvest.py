"""`python -m eval harvest`: questions the service found no confident answer to, from the query
log, as candidates for the question set, for a person to judge.

Each candidate is a line in the question set's shape (`queries.jsonl`), with no qrels: the
category is provisionally `no_answer` (what the service concluded), the split `dev`, and a
`harvest` object says how often and until when it was asked. Before one enters the question
set, a person decides whether the corpus really cannot answer it (then sets the scope) or can
(then gives its category and its judgements in `qrels.tsv`), and which split it belongs to.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from eval.data import LANGS

CANDIDATE_PREFIX = "cand-"


def candidate_id(text: str) -> str:
    """Stable across harvests: the same normalised question always has the same id."""
    return CANDIDATE_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:10]


def candidate(row: dict) -> dict:
    """One `top_questions` row of the analytics as a queries.jsonl line (a dict)."""
    lang = row.get("language") if row.get("language") in LANGS else "fr"
    return {"_id": candidate_id(row["query"]), "text": row["query"], "category": "no_answer",
            "scope": "ess", "split": "dev", "lang": lang, "answer": None,
            "harvest": {"asked": row["count"], "unanswered": row["unanswered"],
                        "mean_confidence": row["mean_confidence"],
                        "last_asked": row["last_asked"]}}


def harvest(db: Path, since: date, *, members: bool = False, limit: int = 200) -> list[dict]:
    """Unanswered questions since `since`, most asked first; public searches only unless
    `members` (then member searches are added)."""
    from search_service.analytics import open_read_only, top_questions

    conn = open_read_only(db)
    try:
        rows = top_questions(conn, since, False, unanswered=True, limit=limit)
        if members:
            rows += top_questions(conn, since, True, unanswered=True, limit=limit)
    finally:
        conn.close()
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row["query"], row)
    return [candidate(r) for r in seen.values()]


def write_candidates(candidates: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in candidates),
                   encoding="utf-8")
