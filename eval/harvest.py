"""`python -m eval harvest`: questions the service found no confident answer to, from the query
log, as candidates for the question set, for a person to judge.

Each candidate is a line in the question set's shape (`queries.jsonl`), with no qrels: the
category is provisionally `no_answer` (what the service concluded), the split `dev`, and a
`harvest` object says how often and until when it was asked. Before one enters the question
set, a person decides whether the corpus really cannot answer it (then sets the scope) or can
(then gives its category and its judgements in `qrels.tsv`), and which split it belongs to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
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


def cmd_harvest(args: argparse.Namespace) -> int:
    db = args.db
    if db is None:
        from search_service.analytics_api import db_path
        from search_service.settings import Settings

        db = db_path(Settings())
    try:
        candidates = harvest(db, args.since, members=args.members, limit=args.limit)
    except sqlite3.Error as exc:
        print(f"error: {db}: {exc}", file=sys.stderr)
        return 2
    write_candidates(candidates, args.out)
    who = "public and member" if args.members else "public"
    print(f"wrote {len(candidates)} candidates ({who} searches with no confident answer "
          f"since {args.since}) to {args.out}")
    return 0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def add_harvest_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("harvest", help="unanswered questions from the query log, as "
                       "candidates for the question set (no qrels)")
    p.add_argument("--since", type=_date, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--out", type=Path, required=True, help="the candidates file (JSON lines)")
    p.add_argument("--db", type=Path, help="the query log (default: the service's, from "
                   "RTES_ANALYTICS_DB or beside RTES_INDEX_DIR)")
    p.add_argument("--members", action="store_true",
                   help="add member searches (public ones only by default)")
    p.add_argument("--limit", type=int, default=200, help="at most this many per audience")
    p.set_defaults(func=cmd_harvest)
