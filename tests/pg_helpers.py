"""Start and stop a real PostgreSQL with pgserver (PostgreSQL 16, pgvector), for the tests."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path


def pg_directory(label: str) -> Path:
    """A data directory outside pytest's temporary root: pgserver opens its parents to its
    own system user, and another pytest session started meanwhile closes pytest's root again
    (mode 0700), after which the server can no longer be stopped. Removed by `remove_pg`."""
    return Path(tempfile.mkdtemp(prefix=f"rtes-{label}-"))


def remove_pg(pgdata: Path) -> None:
    stop_pg(pgdata)
    shutil.rmtree(pgdata, ignore_errors=True)


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
