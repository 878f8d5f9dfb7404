"""Index directories: atomic versions, checks on load that name the file at fault."""

import inspect
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.chunk import passage_id
from indexer.manifest import (
    ChunkingSection,
    CorpusSection,
    EncodingSection,
    FaissSection,
    Manifest,
    ModelSection,
)
from indexer.opening import open_version, require_model
from indexer.search_config import config_section, default_config
from indexer.store import (
    FAISS_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    IndexLoadError,
    list_versions,
    prune_versions,
    write_version,
)


def _fake(n: int = 5, dim: int = 8, checksum: str = "abc", index_type: str = "flat"):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    resources = [{"id": "r1", "title": "R", "kind": "article", "private": False, "date": None,
                  "source": {"file": "f.txt", "start_line": 1, "end_line": n}}]
    passages = [{"id": passage_id("r1", f"t{i}", 0), "resource_id": "r1", "text": f"t{i}",
                 "section": None, "ordinal": i,
                 "source": {"file": "f.txt", "start_line": i + 1, "end_line": i + 1}}
                for i in range(n)]
    config = default_config()
    manifest = Manifest(
        built_at="now", model=ModelSection("test", "/nowhere", checksum, dim),
        encoding=EncodingSection("query: ", "passage: ", True, "NFC", "{text}"),
        chunking=ChunkingSection("paragraphs", 1, 2), faiss=FaissSection(index_type),
        lexical=None, sentences=None, corpus=CorpusSection("h", 1, n, 0),
        config=config_section(config))
    return manifest, config, resources, passages, vectors


# What a child process needs to run `_fake` (its source is copied into a helper module).
HELPER_HEADER = ("import numpy as np\nfrom indexer.chunk import passage_id\n"
                 "from indexer.manifest import *\n"
                 "from indexer.search_config import config_section, default_config\n\n")


def test_round_trip_and_current_switch(tmp_path):
    first = write_version(tmp_path, *_fake())
    second = write_version(tmp_path, *_fake(n=6))
    assert (tmp_path / "current").resolve() == second.resolve()
    data = open_version(tmp_path)
    assert data.faiss_index.ntotal == 6 and data.path == second.resolve()
    sims, ids = data.faiss_index.search(data.vectors[2:3], 1)
    assert str(ids[0][0]) == data.passages[2]["id"]
    assert list_versions(tmp_path) == [first, second]


def test_hnsw_search_returns_passage_ids(tmp_path):
    manifest, config, resources, passages, vectors = _fake(n=50, index_type="hnsw")
    write_version(tmp_path, manifest, config, resources, passages, vectors)
    data = open_version(tmp_path)
    _, ids = data.faiss_index.search(vectors[7:8], 1)
    assert str(ids[0][0]) == passages[7]["id"]


def test_truncated_faiss_file_named(tmp_path):
    version = write_version(tmp_path, *_fake())
    path = version / FAISS_FILE
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(IndexLoadError, match=FAISS_FILE) as info:
        open_version(tmp_path)
    assert str(path) in str(info.value)


def test_manifest_of_another_model_named(tmp_path):
    write_version(tmp_path, *_fake(checksum="other-model"))
    with pytest.raises(IndexLoadError, match=f"{MANIFEST_FILE}.*built with model other-model"):
        require_model(open_version(tmp_path), "this-model", "/models/this")


def test_passage_count_disagreement_named(tmp_path):
    version = write_version(tmp_path, *_fake())
    path = version / PASSAGES_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(IndexLoadError, match=PASSAGES_FILE):
        open_version(tmp_path)


def test_missing_directory_says_how_to_build(tmp_path):
    with pytest.raises(IndexLoadError, match="python -m indexer build"):
        open_version(tmp_path / "nope")


def test_failed_write_leaves_current_alone(tmp_path):
    good = write_version(tmp_path, *_fake())

    def boom(_):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_version(tmp_path, *_fake(n=7), write_extra=boom)
    assert (tmp_path / "current").resolve() == good.resolve()
    assert list_versions(tmp_path) == [good]
    assert open_version(tmp_path).faiss_index.ntotal == 5


def test_killed_write_leaves_current_alone(tmp_path):
    """A process killed half-way (no clean-up runs) never moves `current`."""
    good = write_version(tmp_path, *_fake())
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from test_store_helper import _fake
        from indexer.store import write_version
        write_version(__import__('pathlib').Path({str(tmp_path)!r}), *_fake(n=9),
                      write_extra=lambda tmp: os._exit(9))
    """)
    (tmp_path / "test_store_helper.py").write_text(
        HELPER_HEADER + inspect.getsource(_fake))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == 9
    assert (tmp_path / "current").resolve() == good.resolve()
    assert list_versions(tmp_path) == [good]
    assert open_version(tmp_path).faiss_index.ntotal == 5


def test_prune_keeps_newest_and_live(tmp_path):
    made = [write_version(tmp_path, *_fake()) for _ in range(5)]
    removed = prune_versions(tmp_path, keep=2)
    assert removed == made[:3]
    assert list_versions(tmp_path) == made[3:]
    assert json.loads((made[-1] / MANIFEST_FILE).read_text())["corpus"]["passages"] == 5


def _writer(tmp_path, flag: str):
    """A build process that stops half-way in its temporary directory, until killed."""
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        sys.path.insert(0, {str(tmp_path)!r})
        from test_store_helper import _fake
        from indexer.store import write_version

        def stall(tmp):
            pathlib.Path({str(tmp_path / flag)!r}).write_text(str(tmp))
            time.sleep(300)

        write_version(pathlib.Path({str(tmp_path)!r}), *_fake(n=9), write_extra=stall)
    """)
    helper = tmp_path / "test_store_helper.py"
    if not helper.exists():
        helper.write_text(HELPER_HEADER + inspect.getsource(_fake))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not (tmp_path / flag).exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    return process, Path((tmp_path / flag).read_text())


def test_next_build_removes_temp_dirs_of_killed_builds_only(tmp_path):
    """`kill -9` leaves versions/.tmp-*; the next build removes it once its PID is gone, and
    never touches the directory of a build that still runs."""
    write_version(tmp_path, *_fake())
    running, running_tmp = _writer(tmp_path, "running")
    killed, killed_tmp = _writer(tmp_path, "killed")
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    old_style = tmp_path / "versions" / ".tmp-20200101T000000000000Z"  # records no PID
    old_style.mkdir()
    try:
        assert killed_tmp.is_dir() and str(killed.pid) in killed_tmp.name
        newest = write_version(tmp_path, *_fake(n=6))
        assert not killed_tmp.exists()
        assert running_tmp.is_dir() and old_style.is_dir()
        assert open_version(tmp_path).path == newest.resolve()
    finally:
        os.kill(running.pid, signal.SIGKILL)
        running.wait()
    write_version(tmp_path, *_fake(n=7))
    assert not running_tmp.exists() and old_style.is_dir()
