"""Start the real service (`python -m search_service`) in its own process on loopback.

The one server starter of the project: the benchmark, the load run and the tests use it.
The server listens on a free port, exempts loopback from the per-client rate limit
(`RTES_RATE_LIMIT_EXEMPT=127.0.0.1`, so the caller's own requests are not throttled),
and writes its output to a file, never a pipe (an unread pipe fills up with access logs
and stalls the server).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from indexer.settings import child_environment

HOST = "127.0.0.1"
RATE_LIMIT_ENV = {"RTES_RATE_LIMIT_EXEMPT": HOST}


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    host: str
    port: int
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_tail(self, size: int = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-size:].decode(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ready(url: str) -> bool:
    """`/readyz` answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_server(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 180.0,
                 log_path: Path | None = None) -> Server:
    """The service on `index_dir`, once `/readyz` says ready; its output goes to `log_path`
    (or an anonymous file). RuntimeError, with the log's tail, if it exits or times out."""
    port = free_port()
    # The log file lives as long as the server (closed by stop_server).
    log = log_path.open("w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "search_service", "--index", str(index_dir),
         "--host", HOST, "--port", str(port)],
        env=child_environment({**RATE_LIMIT_ENV, **(env or {})}), stdout=log,
        stderr=subprocess.STDOUT)
    server = Server(process, HOST, port, log)
    deadline = time.monotonic() + timeout
    while not ready(server.url):
        if process.poll() is not None:
            tail = server.log_tail()
            log.close()
            raise RuntimeError(f"server exited: {tail}")
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"server on {server.url} not ready after {timeout:.0f} s")
        time.sleep(0.5)
    return server


def stop_server(server: Server) -> None:
    """Terminate the server (killed after 20 s) and close its log."""
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.log.close()


@contextmanager
def running_server(index_dir: Path, log_path: Path | None = None, timeout: float = 180.0,
                   env: dict[str, str] | None = None) -> Iterator[Server]:
    """`start_server` for the length of a `with` block; stopped after, whatever happens."""
    server = start_server(index_dir, env, timeout, log_path)
    try:
        yield server
    finally:
        stop_server(server)
