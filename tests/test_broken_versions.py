"""Every way a version can be broken is refused, named, logged once; the live one keeps serving.

Issue 12, §2: a malformed row in any file, wrong types, a `current` loop or dangling link, a
missing file, counts that disagree, truncated FAISS, BM25 or vector files. Each is refused
by POST /admin/reload with a 409 naming the file (never a 500), logged once however often
the watcher polls, and the error clears once `current` points at a good version. Starting
the service on a broken index prints one line naming the file and exits with status 2.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import start_server, stop_server
from fastapi.testclient import TestClient

from indexer.store import switch_current
from search_service.app import create_app
from search_service.loading import load_searcher
from search_service.settings import Settings

pytestmark = pytest.mark.slow
ADMIN = "jeton-admin"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (INFO|WARNING|ERROR) \S+: ")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def row_42_in_resources(v: Path) -> None:
    """The attack run's case: a line `42`, the manifest's count fixed up to match."""
    _write_lines(v / "resources.jsonl", [*_lines(v / "resources.jsonl"), "42"])
    _edit_json(v / "manifest.json", lambda m: m["corpus"].update(
        resources=m["corpus"]["resources"] + 1))


def _replace_line(name: str, line: str) -> Callable[[Path], None]:
    def damage(v: Path) -> None:
        lines = _lines(v / name)
        lines[1] = line
        _write_lines(v / name, lines)
    return damage


def _retype(name: str, field: str, value: object) -> Callable[[Path], None]:
    def damage(v: Path) -> None:
        lines = _lines(v / name)
        row = json.loads(lines[0])
        row[field] = value
        lines[0] = json.dumps(row)
        _write_lines(v / name, lines)
    return damage


def _drop_field(name: str, field: str) -> Callable[[Path], None]:
    def damage(v: Path) -> None:
        lines = _lines(v / name)
        row = json.loads(lines[0])
        del row[field]
        lines[0] = json.dumps(row)
        _write_lines(v / name, lines)
    return damage


def _truncate(name: str, keep: float = 0.5) -> Callable[[Path], None]:
    def damage(v: Path) -> None:
        data = (v / name).read_bytes()
        (v / name).write_bytes(data[: int(len(data) * keep)])
    return damage


def _remove(name: str) -> Callable[[Path], None]:
    return lambda v: (v / name).unlink()


def _drop_last_line(name: str) -> Callable[[Path], None]:
    return lambda v: _write_lines(v / name, _lines(v / name)[:-1])


def _other_bm25(v: Path) -> None:
    shutil.rmtree(v / "bm25-public")
    shutil.copytree(v / "bm25", v / "bm25-public")


# damage → (how, the file the error must name)
DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "row 42 in resources": (row_42_in_resources, "resources.jsonl"),
    "row 42 in passages": (_replace_line("passages.jsonl", "42"), "passages.jsonl"),
    "row 42 in sentences": (_replace_line("sentences.jsonl", "42"), "sentences.jsonl"),
    "row not JSON": (_replace_line("passages.jsonl", '{"id": '), "passages.jsonl"),
    "private is a string": (_retype("resources.jsonl", "private", "yes"), "resources.jsonl"),
    "source is a list": (_retype("resources.jsonl", "source", [1, 2]), "resources.jsonl"),
    "sentence start a string": (_retype("sentences.jsonl", "start", "0"), "sentences.jsonl"),
    "passage without text": (_drop_field("passages.jsonl", "text"), "passages.jsonl"),
    "manifest count a string": (lambda v: _edit_json(v / "manifest.json", lambda m: m[
        "corpus"].update(passages="140")), "manifest.json"),
    "manifest a list": (lambda v: (v / "manifest.json").write_text("[1, 2]"), "manifest.json"),
    "manifest without lexical": (lambda v: _edit_json(v / "manifest.json", lambda m: m.pop(
        "lexical")), "manifest.json"),
    "one resource fewer": (_drop_last_line("resources.jsonl"), "resources.jsonl"),
    "one sentence fewer": (_drop_last_line("sentences.jsonl"), "sentences.jsonl"),
    "missing vectors": (_remove("vectors.npy"), "vectors.npy"),
    "missing passages": (_remove("passages.jsonl"), "passages.jsonl"),
    "missing bm25 vocabulary": (_remove("bm25-public/vocab.index.json"), "vocab.index.json"),
    "truncated faiss": (_truncate("vectors.faiss"), "vectors.faiss"),
    "truncated vectors": (_truncate("vectors.npy"), "vectors.npy"),
    "truncated sentence vectors": (_truncate("sentences.npy", 0.9), "sentences.npy"),
    "truncated bm25 scores": (_truncate("bm25-public/data.csc.index.npy"), "data.csc.index.npy"),
    "truncated bm25 pointers": (_truncate("bm25/indptr.csc.index.npy", 0.7),
                                "indptr.csc.index.npy"),
    "truncated bm25 vocabulary": (_truncate("bm25/vocab.index.json"), "vocab.index.json"),
    "bm25 of another visibility": (_other_bm25, "params.index.json"),
    "private flag flipped": (_retype("resources.jsonl", "private", False), "resources.jsonl"),
    # Issue 15: the typed manifest and the version's configuration file.
    "config edited after the build": (lambda v: _edit_json(v / "config.json", lambda c: c[
        "answer"].update(confidence_threshold=0.5)), "config.json"),
    "config missing": (_remove("config.json"), "config.json"),
    "manifest of format 2": (lambda v: _edit_json(v / "manifest.json", lambda m: m.update(
        format_version=2)), "manifest.json"),
    "manifest model dimension a string": (lambda v: _edit_json(v / "manifest.json", lambda m: m[
        "model"].update(dimension="384")), "manifest.json"),
    "bm25 count disagrees with manifest": (lambda v: _edit_json(
        v / "bm25-public/params.index.json", lambda p: p.update(num_docs=125)),
        "params.index.json"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory, seed_index, embedder):
    """A served copy of the seed index (version v1), its directory, and the good version."""
    index_dir = tmp_path_factory.mktemp("broken") / "index"
    good = (seed_index / "current").resolve()
    shutil.copytree(good, index_dir / "versions" / "v1")
    switch_current(index_dir, index_dir / "versions" / "v1")
    settings = Settings(index_dir=index_dir, admin_tokens=[ADMIN], reload_interval=0,
                        rate_limit_exempt=["testclient"], auth_fail_limit="1000/minute")
    app = create_app(settings, searcher=load_searcher(index_dir, embedder=embedder))
    with TestClient(app) as client:
        yield client, index_dir, good


def reload(client: TestClient):
    return client.post("/admin/reload", headers={"Authorization": f"Bearer {ADMIN}"})


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "search_service.reload" and r.levelno == logging.ERROR]


def check_refused(client: TestClient, named: str, caplog) -> str:
    """Refused with a 409 naming `named`, logged once over polls and admin calls; v1 serves."""
    caplog.clear()
    response = reload(client)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["reloaded"] is False and body["version"] == "v1"
    assert named in body["error"] and body["message"]["fr"] and body["message"]["en"]
    assert "Traceback" not in response.text
    for _ in range(5):  # the watcher's polls
        client.app.state.reloader.check()
    assert reload(client).status_code == 409
    logged = refusals(caplog)
    assert len(logged) == 1 and named in logged[0] and "\n" not in logged[0], logged
    assert client.get("/readyz").json()["version"] == "v1"
    search = client.get("/api/search", params={"q": "épicerie solidaire"})
    assert search.status_code == 200 and search.json()["results"]
    return body["error"]


def back_to_v1_clears_the_error(client: TestClient, index_dir: Path) -> None:
    switch_current(index_dir, index_dir / "versions" / "v1")
    response = reload(client)
    assert response.status_code == 200
    assert response.json() == {"reloaded": False, "version": "v1", "error": None}


@pytest.mark.parametrize("damage", DAMAGES)
def test_broken_version_refused_and_named(served, damage, caplog):
    client, index_dir, good = served
    how, named = DAMAGES[damage]
    bad = index_dir / "versions" / f"bad-{damage.replace(' ', '-')}"
    shutil.copytree(good, bad)
    how(bad)
    switch_current(index_dir, bad)
    try:
        check_refused(client, named, caplog)
    finally:
        back_to_v1_clears_the_error(client, index_dir)


@pytest.mark.parametrize("link", ["current", "versions/does-not-exist"])
def test_current_loop_or_dangling_refused(served, link, caplog):
    client, index_dir, _ = served
    current = index_dir / "current"
    current.unlink()
    os.symlink(link, current)
    try:
        error = check_refused(client, "current", caplog)
        assert ("symlink loop" if link == "current" else "does not exist") in error
    finally:
        back_to_v1_clears_the_error(client, index_dir)


def _http(method: str, url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, headers={
        "Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _wait_for(predicate: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_over_http_refused_once_then_cleared_then_swapped(tmp_path, seed_index):
    """The issue's cases on a real server: a `42` row and a `current → current` loop while
    the watcher polls every 0.2 s; then `current` back at the live version; then a good one."""
    good = (seed_index / "current").resolve()
    index_dir = tmp_path / "index"
    shutil.copytree(good, index_dir / "versions" / "v1")
    switch_current(index_dir, index_dir / "versions" / "v1")
    log_path = tmp_path / "server.log"
    process, url = start_server(index_dir, {"RTES_RELOAD_INTERVAL": "0.2",
                                            "RTES_ADMIN_TOKENS": ADMIN}, log_path=log_path)
    try:
        bad = index_dir / "versions" / "v2-bad-row"
        shutil.copytree(good, bad)
        row_42_in_resources(bad)
        switch_current(index_dir, bad)
        time.sleep(2.0)  # ten polls
        status, body = _http("POST", f"{url}/admin/reload", ADMIN)
        assert status == 409 and "resources.jsonl" in body["error"]
        assert _http("GET", f"{url}/api/search?q=ESS")[0] == 200
        (index_dir / "current").unlink()
        os.symlink("current", index_dir / "current")
        time.sleep(2.0)
        status, body = _http("POST", f"{url}/admin/reload", ADMIN)
        assert status == 409 and "symlink loop" in body["error"]
        assert _http("GET", f"{url}/readyz")[1]["version"] == "v1"
        switch_current(index_dir, index_dir / "versions" / "v1")
        assert _http("POST", f"{url}/admin/reload", ADMIN) == (
            200, {"reloaded": False, "version": "v1", "error": None})
        shutil.copytree(good, index_dir / "versions" / "v3")
        switch_current(index_dir, index_dir / "versions" / "v3")
        _wait_for(lambda: _http("GET", f"{url}/readyz")[1]["version"] == "v3")
    finally:
        stop_server(process)
    lines = _lines(log_path)
    refused = [line for line in lines if "refused index version" in line]
    assert len(refused) == 2, refused
    assert "resources.jsonl: line 64" in refused[0] and "symlink loop" in refused[1]
    swapped = [line for line in lines if "swapped index version" in line]
    assert len(swapped) == 1 and re.search(
        r"v1 \(63 resources, 140 passages, \d+ sentences\) → v3 \(63 resources", swapped[0])
    assert all(LOG_LINE.match(line) for line in lines), [x for x in lines if not LOG_LINE.match(x)]
    assert "Traceback" not in "\n".join(lines)


@pytest.mark.parametrize(("damage", "named"), [
    ("truncated faiss", "vectors.faiss"), ("row 42 in resources", "resources.jsonl"),
    ("loop", "current"),
])
def test_start_on_broken_index_is_one_line(tmp_path, seed_index, damage, named):
    index_dir = tmp_path / "index"
    version = index_dir / "versions" / "v1"
    shutil.copytree((seed_index / "current").resolve(), version)
    if damage == "loop":
        os.symlink("current", index_dir / "current")
    else:
        DAMAGES[damage][0](version)
        switch_current(index_dir, version)
    run = subprocess.run([sys.executable, "-m", "search_service", "--index", str(index_dir),
                          "--port", "9"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    output = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert len(output) == 1, output
    assert LOG_LINE.match(output[0]) and "ERROR" in output[0] and named in output[0]
    assert "Traceback" not in output[0]
