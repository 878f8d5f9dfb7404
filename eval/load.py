"""Load run: 16 clients against a real server while the index is rebuilt and swapped.

Loopback only, bounded in time. The server is started with the load client's
address (127.0.0.1) on the rate-limit allow-list, as the benchmark does.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from eval.server import running_server
from eval.tables import fixed_table


@dataclass
class Sample:
    started: float
    latency: float
    ok: bool


@dataclass
class LoadReport:
    samples: list[Sample]
    swaps: list[tuple[float, float, str]] = field(default_factory=list)

    def _during(self, sample: Sample) -> bool:
        return any(a <= sample.started <= b for a, b, _ in self.swaps)

    def rows(self) -> dict[str, dict[str, float]]:
        out = {}
        for label, chosen in (("all", self.samples),
                              ("during swaps", [s for s in self.samples if self._during(s)]),
                              ("outside swaps",
                               [s for s in self.samples if not self._during(s)])):
            ok = sorted(s.latency * 1000 for s in chosen if s.ok)
            out[label] = {
                "requests": len(chosen), "failed": sum(not s.ok for s in chosen),
                "p50_ms": percentile(ok, 50), "p95_ms": percentile(ok, 95),
                "p99_ms": percentile(ok, 99),
            }
        return out


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(p) - 1]


def _client(url: str, queries: list[str], stop: threading.Event, out: list[Sample],
            offset: int) -> None:
    i = offset
    while not stop.is_set():
        q = urllib.parse.quote(queries[i % len(queries)])
        i += 1
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{url}/api/search?q={q}&k=10", timeout=30) as r:
                ok = r.status == 200 and bool(json.load(r)["results"])
        except (urllib.error.URLError, OSError, ValueError):
            ok = False
        out.append(Sample(started, time.monotonic() - started, ok))


def _version(url: str) -> str:
    with urllib.request.urlopen(f"{url}/readyz", timeout=10) as r:
        return json.load(r)["version"]


def run_load(index: Path, seeds: Path, queries: list[str], *, clients: int = 16,
             swaps: int = 2, settle: float = 15.0) -> LoadReport:
    """Clients run from start to end; each swap = a full rebuild then the server's reload."""
    samples: list[Sample] = []
    stop = threading.Event()
    report = LoadReport(samples)
    with running_server(index, env={"RTES_RELOAD_INTERVAL": "1"}) as server:
        url = server.url
        version = _version(url)
        threads = [threading.Thread(target=_client, args=(url, queries, stop, samples, i * 7))
                   for i in range(clients)]
        for t in threads:
            t.start()
        try:
            time.sleep(settle)
            for _ in range(swaps):
                begin = time.monotonic()
                subprocess.run([sys.executable, "-m", "indexer", "build", str(seeds), "--out",
                                str(index), "--quiet"], check=True, capture_output=True)
                while _version(url) == version:
                    time.sleep(0.2)
                version = _version(url)
                report.swaps.append((begin, time.monotonic() + 1.0, version))
                time.sleep(settle)
        finally:  # clients stop even when a rebuild fails
            stop.set()
            for t in threads:
                t.join()
    return report


def print_load(report: LoadReport, clients: int) -> None:
    duration = max(s.started + s.latency for s in report.samples) - min(
        s.started for s in report.samples)
    print(f"clients {clients}, {len(report.swaps)} swaps "
          f"({', '.join(v for _, _, v in report.swaps)}), {duration:.0f} s, "
          f"{len(report.samples) / duration:.1f} requests/s")
    rows = [(label, row["requests"], row["failed"],
             *(f"{row[key]:.0f}" for key in ("p50_ms", "p95_ms", "p99_ms")))
            for label, row in report.rows().items()]
    print(fixed_table(("", "requests", "failed", "p50 ms", "p95 ms", "p99 ms"), rows))
