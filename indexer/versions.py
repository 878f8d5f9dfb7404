"""The directory side of an index: versions, the `current` link, temporary build directories.

A build writes into `versions/.tmp-<stamp>-<pid>`, renames it to `versions/<stamp>` once
complete, then switches `current` with one atomic rename. A build killed with `kill -9`
leaves its temporary directory behind; the next build removes it, but only once the PID
recorded in its name no longer runs, so a concurrent build's directory is never touched.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

TMP_PREFIX = ".tmp-"
_TMP_NAME = re.compile(rf"^{re.escape(TMP_PREFIX)}(?P<stamp>[0-9TZ]+)-(?P<pid>[0-9]+)$")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(index_dir: Path, version_dir: Path) -> None:
    """Point `current` at `version_dir` with one atomic rename."""
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(version_dir, index_dir))
    os.replace(tmp_link, index_dir / "current")
    _fsync_dir(index_dir)


def list_versions(index_dir: Path) -> list[Path]:
    versions = index_dir / "versions"
    if not versions.is_dir():
        return []
    return sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_versions(index_dir: Path, keep: int = 3) -> list[Path]:
    """Remove all but the newest `keep` versions, never the live one."""
    live = (index_dir / "current").resolve() if (index_dir / "current").exists() else None
    removed = []
    for version in list_versions(index_dir)[:-keep] if keep > 0 else []:
        if version.resolve() != live:
            shutil.rmtree(version, ignore_errors=True)
            removed.append(version)
    return removed


def pid_running(pid: int) -> bool:
    """Is `pid` a live process here? A zombie (killed, not yet reaped) counts as gone."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # exists, but belongs to someone we may not inspect
        return True


def remove_stale_temps(versions: Path) -> list[Path]:
    """Remove the temporary directories of builds that are gone (their PID no longer runs).

    A directory whose name records no PID (written by an older build) is left alone.
    """
    removed = []
    for path in sorted(versions.glob(f"{TMP_PREFIX}*")) if versions.is_dir() else []:
        match = _TMP_NAME.match(path.name)
        if match is None or not path.is_dir():
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and not pid_running(pid):
            shutil.rmtree(path, ignore_errors=True)
            log.info("removed %s, left by build process %d that no longer runs", path, pid)
            removed.append(path)
    return removed


def new_temp_version(versions: Path) -> tuple[Path, str]:
    """A fresh temporary directory for this process's build, and the version's final name."""
    versions.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(versions)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = versions / f"{TMP_PREFIX}{stamp}-{os.getpid()}"
    tmp.mkdir()
    return tmp, stamp
