"""Reports over the query log: what is asked, what finds no confident answer, how fast.

Read-only functions of an open SQLite connection and a start date; member searches are always
counted apart from public ones (`audience`), so the public figures are those of the public.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import date
from pathlib import Path

TOP = 20
PERCENTILES = (50, 90, 95, 99)


def open_read_only(path: Path) -> sqlite3.Connection:
    """The log for reading; sqlite3.Error when it cannot be read."""
    if not Path(path).exists():
        raise sqlite3.OperationalError(f"no query log at {path}")
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of values sorted ascending (p95 of 1..20 is 19)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _where(since: date, member: bool) -> tuple[str, tuple]:
    return "hour >= ? AND member = ?", (f"{since.isoformat()}T00:00Z", int(member))


def top_questions(conn: sqlite3.Connection, since: date, member: bool, *,
                  unanswered: bool = False, limit: int = TOP) -> list[dict]:
    """The most asked normalised questions (only those with no confident answer, when
    `unanswered`), with how often, the mean confidence and the last day asked."""
    where, args = _where(since, member)
    if unanswered:
        where += " AND confident = 0"
    rows = conn.execute(
        f"SELECT query, COUNT(*) AS n, AVG(confidence), MAX(hour), "
        f"SUM(confident = 0), MAX(language) FROM searches WHERE {where} "
        f"GROUP BY query ORDER BY n DESC, query LIMIT ?", (*args, limit)).fetchall()
    return [{"query": q, "count": n, "mean_confidence": round(c, 4), "last_asked": last[:10],
             "unanswered": u, "language": lang}
            for q, n, c, last, u, lang in rows]


def per_day(conn: sqlite3.Connection, since: date, member: bool) -> list[dict]:
    where, args = _where(since, member)
    rows = conn.execute(
        f"SELECT substr(hour, 1, 10) AS day, COUNT(*), SUM(confident = 0) FROM searches "
        f"WHERE {where} GROUP BY day ORDER BY day", args).fetchall()
    return [{"day": d, "searches": n, "unanswered": u,
             "share_unanswered": round(u / n, 4)} for d, n, u in rows]


def latency(conn: sqlite3.Connection, since: date, member: bool) -> dict[str, float | None]:
    where, args = _where(since, member)
    values = [v for (v,) in conn.execute(
        f"SELECT latency_ms FROM searches WHERE {where} ORDER BY latency_ms", args)]
    return {f"p{p}": percentile(values, p) for p in PERCENTILES} | {
        "max": values[-1] if values else None}


def audience(conn: sqlite3.Connection, since: date, member: bool) -> dict:
    """Every figure for one audience (public or members)."""
    days = per_day(conn, since, member)
    searches = sum(d["searches"] for d in days)
    unanswered = sum(d["unanswered"] for d in days)
    return {
        "searches": searches,
        "unanswered": unanswered,
        "share_unanswered": round(unanswered / searches, 4) if searches else None,
        "per_day": days,
        "top_questions": top_questions(conn, since, member),
        "top_unanswered": top_questions(conn, since, member, unanswered=True),
        "latency_ms": latency(conn, since, member),
    }


def feedback(conn: sqlite3.Connection, since: date, member: bool, limit: int = 100) -> dict:
    """Answers rated since `since` (a search's latest rating counts), and the not helpful
    ones with their comments, newest first."""
    rows = conn.execute(
        "SELECT f.hour, f.helpful, f.comment, s.query FROM feedback f "
        "JOIN (SELECT MAX(id) AS id FROM feedback GROUP BY query_id) l ON f.id = l.id "
        "LEFT JOIN searches s ON s.query_id = f.query_id "
        "WHERE f.hour >= ? AND COALESCE(s.member, 0) = ? ORDER BY f.id DESC",
        (f"{since.isoformat()}T00:00Z", int(member))).fetchall()
    unhelpful = [{"day": h[:10], "query": q, "comment": c} for h, ok, c, q in rows if not ok]
    return {"helpful": sum(1 for r in rows if r[1]), "not_helpful": len(unhelpful),
            "not_helpful_items": unhelpful[:limit]}


def report(path: Path, since: date) -> dict:
    """Public and member figures since `since`; `error` says why there are none."""
    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        return {"public": None, "members": None, "error": str(exc)}
    try:
        return {"public": audience(conn, since, False), "members": audience(conn, since, True),
                "feedback": feedback(conn, since, False),
                "member_feedback": feedback(conn, since, True), "error": None}
    except sqlite3.Error as exc:
        return {"public": None, "members": None, "error": str(exc)}
    finally:
        conn.close()
