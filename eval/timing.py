"""Small timing helpers shared by the benchmarks: percentiles, process memory, the machine."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of latencies in milliseconds (linear interpolation)."""
    if not ms:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"),
                "p99_ms": float("nan"), "mean_ms": float("nan")}
    values = np.asarray(ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"n": len(values), "p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2),
            "p99_ms": round(float(p99), 2), "mean_ms": round(float(values.mean()), 2)}


def per_s(count: int, seconds: float) -> float:
    """A rate, one decimal; NaN for no time at all."""
    return round(count / seconds, 1) if seconds > 0 else float("nan")


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MiB."""
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def peak_rss_mb(pid: int) -> float | None:
    """The high-water mark of a process's resident memory (Linux VmHWM), if the OS says."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def environment() -> dict[str, Any]:
    """What the numbers were measured on: they mean little without it."""
    import faiss

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in load],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "numpy": np.__version__,
    }
