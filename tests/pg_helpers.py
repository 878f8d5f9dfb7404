"""Start and stop a real PostgreSQL with pgserver (PostgreSQL 16, pgvector), for the tests."""

from __future__ import annotations

import warnings
from pathlib import Path


def start_pg(pgdata: Path) -> str:
    """Start (or restart) the server whose data lives in `pgdata`; its URL (a socket in
    `pgdata`)."""
    import pgserver

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR in CI
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        server.ensure_postgres_running()
    return server.get_uri()


def stop_pg(pgdata: Path) -> None:
    """Stop it now (fast shutdown: open connections are cut, as when a database dies)."""
    import pgserver
    from pgserver._commands import pg_ctl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
