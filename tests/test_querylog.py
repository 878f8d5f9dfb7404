"""The query log's writer and reports on real SQLite files (no server: see
test_analytics_server.py for the service end to end)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eval.__main__ import main as eval_main
from eval.data import load_candidates
from search_service.analytics import percentile, report
from search_service.querylog import (
    FeedbackRow,
    QueryLog,
    SearchRow,
    connect,
    hour_of,
    normalise,
)

NOW = datetime(2026, 12, 2, 14, 37, tzinfo=UTC)


def row(query: str, *, member: bool = False, confident: bool = True, latency: float = 50.0,
        now: datetime = NOW) -> SearchRow:
    return SearchRow.of(query=query, language="fr", filters={"kinds": [], "mode": "hybrid"},
                        member=member, result_ids=["a", "b"], confident=confident,
                        confidence=0.01 if confident else -0.05, latency_ms=latency, now=now)


def rows_in(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT hour, query, member, confident FROM searches "
                            "ORDER BY id").fetchall()


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file made unwritable for this process: chmod for a user, the immutable flag for
    root (whom permissions do not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make {path} read-only as root: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_emails_and_phone_numbers_are_masked_years_and_postcodes_kept():
    assert normalise("Écrire à Jean.Dupont@mairie-paris.fr ou au 06 12 34 56 78 ?") == (
        "écrire à <email> ou au <phone>")
    assert normalise("tél. +33 6 12 34 56 78, 0033 (0)1 23 45 67 89, 01.23.45.67.89") == (
        "tél. <phone>, <phone>, <phone>")
    assert normalise("+1 415-555-0100 / 0612345678") == "<phone> / <phone>"
    assert normalise("Projets  2019-2021 à 75011 Paris, loi 2014-856") == (
        "projets 2019-2021 à 75011 paris, loi 2014-856")


def test_hour_is_rounded_down_in_utc():
    assert hour_of(NOW) == "2026-12-02T14:00Z"
    paris = datetime(2026, 12, 2, 15, 59, tzinfo=UTC).astimezone()
    assert hour_of(paris) == "2026-12-02T15:00Z"


def test_a_row_has_no_field_for_who_asked():
    names = {f.name for f in fields(SearchRow)}
    assert names == {"hour", "query", "language", "filters", "member", "result_count",
                     "top_ids", "confident", "confidence", "latency_ms", "query_id"}


def test_percentile_is_nearest_rank():
    # p95 of 1..20: rank ceil(0.95 * 20) = 19, value 19; p50 of 1..4: rank 2, value 2.
    assert percentile([float(v) for v in range(1, 21)], 95) == 19.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([], 50) is None


def test_rows_wait_in_a_batch_and_are_written_at_close(tmp_path: Path):
    path = tmp_path / "log" / "q.sqlite3"
    log = QueryLog(path, batch=10_000, linger=600.0).start()
    for i in range(50):
        log.record(row(f"question {i}"))
    time.sleep(0.3)
    log.close()
    assert len(rows_in(path)) == 50 and log.stats.to_dict()["dropped_total"] == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_full_queue_drops_and_counts_without_waiting(tmp_path: Path):
    log = QueryLog(tmp_path / "q.sqlite3", queue_size=2)  # not started: nothing drains it
    started = time.perf_counter()
    for i in range(5):
        log.record(row(f"q{i}"))
    assert time.perf_counter() - started < 0.5
    assert log.stats.to_dict()["dropped"] == {"queue_full": 3}


def test_a_read_only_file_drops_and_counts_the_rows(tmp_path: Path):
    path = tmp_path / "q.sqlite3"
    connect(path).close()
    with read_only(path):
        log = QueryLog(path, linger=0.0).start()
        for i in range(7):
            log.record(row(f"q{i}"))
        assert log.flush(timeout=10)
        stats = log.stats.to_dict()
        log.close()
    assert stats["written"] == 0 and stats["dropped"] == {"unwritable": 7}
    assert "readonly" in stats["last_error"] or "read-only" in stats["last_error"]
    assert rows_in(path) == []


def test_retention_prunes_old_rows_at_start(tmp_path: Path):
    path = tmp_path / "q.sqlite3"
    now = datetime.now(UTC)
    seeded = QueryLog(path, linger=0.0).start()
    for days, text in ((400, "very old"), (181, "just too old"), (179, "kept"), (0, "today")):
        seeded.record(row(text, now=now - timedelta(days=days)))
        seeded.record(FeedbackRow(hour=hour_of(now - timedelta(days=days)), query_id=text,
                                  helpful=False, comment=f"avis {text}"))
    seeded.close()  # its own prune ran before the rows were written
    assert len(rows_in(path)) == 4
    log = QueryLog(path, retention_days=180).start()
    assert log.flush()
    log.close()
    assert [r[1] for r in rows_in(path)] == ["kept", "today"]
    with sqlite3.connect(path) as conn:  # feedback has the same retention
        assert [c for (c,) in conn.execute("SELECT comment FROM feedback ORDER BY id")] == [
            "avis kept", "avis today"]


def _seed_log(path: Path) -> None:
    log = QueryLog(path, linger=0.0).start()
    today = datetime.now(UTC)
    for text, member, confident, latency in (
            ("Où trouver une épicerie solidaire ?", False, True, 10.0),
            ("où trouver une épicerie solidaire", False, True, 30.0),
            ("délai carte d'identité", False, False, 20.0),
            ("délai carte d'identité", False, False, 40.0),
            ("horaires de la piscine", False, False, 50.0),
            ("compte rendu du conseil d'administration", True, False, 60.0)):
        log.record(row(text, member=member, confident=confident, latency=latency, now=today))
    log.record(row("délai carte d'identité", confident=False, now=today - timedelta(days=40)))
    log.close()


def test_reports_group_by_normalised_text_and_keep_members_apart(tmp_path: Path):
    path = tmp_path / "q.sqlite3"
    _seed_log(path)
    since = (datetime.now(UTC) - timedelta(days=30)).date()
    public, members = (report(path, since)[k] for k in ("public", "members"))
    assert public["searches"] == 5 and public["unanswered"] == 3
    assert public["share_unanswered"] == 0.6
    # Two spellings of one question count as one; ties are in text order.
    assert [(q["query"], q["count"]) for q in public["top_questions"]] == [
        ("délai carte d'identité", 2), ("où trouver une épicerie solidaire", 2),
        ("horaires de la piscine", 1)]
    assert [(q["query"], q["count"]) for q in public["top_unanswered"]] == [
        ("délai carte d'identité", 2), ("horaires de la piscine", 1)]
    # nearest rank over 10, 20, 30, 40, 50: p50 rank 3 → 30; p95 rank 5 → 50.
    assert public["latency_ms"]["p50"] == 30.0 and public["latency_ms"]["p95"] == 50.0
    assert members["searches"] == 1 and members["top_unanswered"][0]["query"].startswith(
        "compte rendu")
    assert report(tmp_path / "missing.sqlite3", since)["error"]


def test_harvest_writes_public_unanswered_questions_as_candidates(tmp_path: Path, capsys):
    path, out = tmp_path / "q.sqlite3", tmp_path / "cand" / "candidates.jsonl"
    _seed_log(path)
    since = (date.today() - timedelta(days=60)).isoformat()
    assert eval_main(["harvest", "--since", since, "--db", str(path), "--out", str(out)]) == 0
    assert "wrote 2 candidates" in capsys.readouterr().out
    candidates = load_candidates(out)
    assert [c.text for c in candidates] == ["délai carte d'identité", "horaires de la piscine"]
    assert all(c.category == "no_answer" and c.split == "dev" for c in candidates)
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first["harvest"]["asked"] == 3 and first["_id"].startswith("cand-")
    assert eval_main(["harvest", "--since", since, "--db", str(path), "--out", str(out),
                      "--members"]) == 0
    assert len(load_candidates(out)) == 3


def test_feedback_comments_are_cleaned_and_recent_ids_bounded():
    from search_service.feedback import RecentSearches, clean_comment

    assert clean_comment("  écrire à a.b@c.fr\x00 <b>ok</b> ") == "écrire à <email>  <b>ok</b>"
    assert clean_comment("   ") is None and clean_comment(None) is None
    recent = RecentSearches(size=2)
    for qid, logged in (("a", True), ("b", False), ("c", False)):
        recent.add(qid, row(qid), logged=logged)
    assert recent.settle("a") is None  # forgotten: only the last 2 are kept
    assert recent.settle("b") == row("b")  # a typing search: its row is logged now…
    assert recent.settle("b") is True  # …and only once


FILL_DISK = """
import json, sys
from search_service.querylog import QueryLog, SearchRow
log = QueryLog(sys.argv[1] + "/q.sqlite3", linger=0.0, batch=50).start()
for i in range(2000):
    log.record(SearchRow.of(query=f"question {i} " + "x" * 300, language="fr", filters={},
               member=False, result_ids=["a"] * 5, confident=True, confidence=0.1,
               latency_ms=1.0))
    if i % 100 == 0:
        log.flush()
log.close()
print(json.dumps(log.stats.to_dict()))
"""


def test_a_full_disk_drops_and_counts_every_row_it_cannot_write(tmp_path: Path):
    """A 256 kB tmpfs, mounted in a mount namespace of its own (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    repo = Path(__file__).parent.parent
    script = tmp_path / "fill.py"
    script.write_text(FILL_DISK, encoding="utf-8")
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=256k tmpfs "{mount}" && '
         f'exec "{sys.executable}" "{script}" "{mount}"'],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(repo)})
    if done.returncode != 0 and "mount" in done.stderr and "permission" in done.stderr.lower():
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout.splitlines()[-1])
    assert stats["written"] > 0 and stats["dropped"]["unwritable"] > 0
    assert stats["written"] + stats["dropped_total"] == 2000
    assert "full" in stats["last_error"]
