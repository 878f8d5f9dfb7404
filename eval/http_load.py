"""Timed HTTP requests against a running service: one after another, or from N threads."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eval.timing import latency_summary, per_s


def get_status(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def search_path(query: str, mode: str, k: int = 10) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": query, "k": k, "mode": mode})


def http_connection(host: str, port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(host, port, timeout=60)


def timed_request(conn: http.client.HTTPConnection, host: str, port: int, path: str
                  ) -> tuple[http.client.HTTPConnection, tuple[float, str]]:
    """One request on keep-alive `conn`: the connection to go on with (a new one after an
    error) and (milliseconds, status)."""
    started = time.perf_counter()
    try:
        status = str(get_status(conn, path))
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
        conn.close()
        conn = http_connection(host, port)
    return conn, ((time.perf_counter() - started) * 1000, status)


def timed_requests(host: str, port: int, paths: Sequence[str]) -> list[tuple[float, str]]:
    """Each path once, in order, on one keep-alive connection: (milliseconds, status)."""
    conn = http_connection(host, port)
    out = []
    try:
        for path in paths:
            conn, timed = timed_request(conn, host, port, path)
            out.append(timed)
    finally:
        conn.close()
    return out


def load_test(host: str, port: int, paths: Sequence[str], concurrency: int) -> dict[str, Any]:
    """`len(paths)` requests spread over `concurrency` threads, each with its own connection."""
    shares = [list(paths[i::concurrency]) for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = [r for part in pool.map(lambda s: timed_requests(host, port, s), shares)
                   for r in part]
    seconds = time.perf_counter() - started
    statuses = Counter(status for _, status in results)
    ok = [ms for ms, status in results if status == "200"]
    return {"concurrency": concurrency, "requests": len(results),
            "errors": len(results) - statuses["200"], "statuses": dict(statuses),
            "seconds": round(seconds, 2), "throughput_rps": per_s(len(results), seconds),
            **{k: v for k, v in latency_summary(ok).items() if k != "n"}}
