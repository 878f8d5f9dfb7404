"""Hot reload, corrupt versions, hostile input, rate limit and headers, on the seed index."""

import json
import logging
import shutil
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.store import FAISS_FILE, MANIFEST_FILE, switch_current
from search_service.app import create_app
from search_service.loading import load_searcher
from search_service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.fast]
ADMIN = "jeton-admin"
MEMBER = "jeton-membre"


def publish_copy(index_dir: Path, source_version: Path, name: str) -> Path:
    """A new version (a copy of a good one) made current, as a rebuild would."""
    target = index_dir / "versions" / name
    shutil.copytree(source_version, target)
    switch_current(index_dir, target)
    return target


@pytest.fixture
def live_index(tmp_path, seed_index):
    source = (seed_index / "current").resolve()
    index_dir = tmp_path / "index"
    publish_copy(index_dir, source, "v1")
    return index_dir, source


@pytest.fixture
def app_for(embedder):
    def make(index_dir: Path, **overrides) -> TestClient:
        options = {"admin_tokens": [ADMIN], "member_tokens": [MEMBER], "reload_interval": 0,
                   "rate_limit_exempt": ["testclient"], **overrides}
        settings = Settings(index_dir=index_dir, **options)
        searcher = load_searcher(index_dir, embedder=embedder)
        return TestClient(create_app(settings, searcher=searcher))
    return make


def version(client: TestClient) -> str:
    return client.get("/readyz").json()["version"]


def test_reload_swaps_without_dropping_requests(live_index, app_for):
    index_dir, source = live_index
    with app_for(index_dir) as client:
        assert version(client) == "v1"
        failures: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                r = client.get("/api/search", params={"q": "garage solidaire", "k": 3})
                if r.status_code != 200 or not r.json()["results"]:
                    failures.append(r.status_code)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        publish_copy(index_dir, source, "v2")
        assert client.post("/admin/reload",
                           headers={"Authorization": f"Bearer {ADMIN}"}).json()["reloaded"]
        publish_copy(index_dir, source, "v3")
        assert client.post("/admin/reload",
                           headers={"Authorization": f"Bearer {ADMIN}"}).json()["version"] == "v3"
        stop.set()
        for t in threads:
            t.join()
        assert failures == []
        assert version(client) == "v3"


def test_watcher_follows_current(live_index, embedder):
    index_dir, source = live_index
    settings = Settings(index_dir=index_dir, reload_interval=0.2)
    searcher = load_searcher(index_dir, embedder=embedder)
    with TestClient(create_app(settings, searcher=searcher)) as client:
        publish_copy(index_dir, source, "v2")
        deadline = time.monotonic() + 30
        while version(client) != "v2" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert version(client) == "v2"


@pytest.mark.parametrize("damage", ["truncated-faiss", "other-model", "fewer-passages",
                                    "unreadable-dir"])
def test_broken_version_keeps_serving_the_last_good_one(live_index, app_for, damage):
    index_dir, source = live_index
    with app_for(index_dir) as client:
        bad = index_dir / "versions" / "v2"
        shutil.copytree(source, bad)
        if damage == "truncated-faiss":
            data = (bad / FAISS_FILE).read_bytes()
            (bad / FAISS_FILE).write_bytes(data[: len(data) // 3])
            named = FAISS_FILE
        elif damage == "other-model":
            manifest = json.loads((bad / MANIFEST_FILE).read_text())
            manifest["model"]["checksum"] = "f" * 64
            (bad / MANIFEST_FILE).write_text(json.dumps(manifest))
            named = MANIFEST_FILE
        elif damage == "fewer-passages":
            lines = (bad / "passages.jsonl").read_text().splitlines()
            (bad / "passages.jsonl").write_text("\n".join(lines[:-2]) + "\n")
            named = "passages.jsonl"
        else:
            shutil.rmtree(bad)
            bad.mkdir()
            named = "manifest.json"
        switch_current(index_dir, bad)
        result = client.post("/admin/reload", headers={"Authorization": f"Bearer {ADMIN}"})
        assert result.status_code == 409  # refused, documented in the README (was a 200)
        body = result.json()
        assert body["reloaded"] is False and named in body["error"]
        assert version(client) == "v1"
        r = client.get("/api/search", params={"q": "épicerie solidaire"})
        assert r.status_code == 200 and r.json()["results"]


def test_admin_reload_needs_its_token(live_index, app_for):
    index_dir, _ = live_index
    with app_for(index_dir) as client:
        assert client.post("/admin/reload").status_code == 401
        assert client.post("/admin/reload",
                           headers={"Authorization": f"Bearer {MEMBER}"}).status_code == 401


HOSTILE = [
    {"q": ""}, {"q": " \t\n "}, {"q": "a" * 10_000}, {"q": "\x00\x01\x02"},
    {"q": "<script>alert(1)</script>"}, {"q": "' OR 1=1; DROP TABLE resources; --"},
    {"q": "épicerie\x00solidaire"}, {"q": "ESS", "k": 10**12}, {"q": "ESS", "k": -1},
    {"q": "ESS", "kind": ["fiche"] * 50}, {"q": "ESS", "unknown": "x", "other": "y"},
    {"q": ["a", "b", "c"]}, {"q": "ESS", "year_from": -5}, {"q": "%s%s%n" * 20},
    {"q": "ESS", "k": "1e309"}, {"q": "\u202e\u0000\ufffe"},
]


@pytest.mark.parametrize("params", HOSTILE)
def test_hostile_queries_never_a_500(live_index, app_for, params):
    index_dir, _ = live_index
    with app_for(index_dir) as client:
        r = client.get("/api/search", params=params)
        assert r.status_code in (200, 413, 414, 422), r.text
        if r.status_code != 200:
            assert r.json()["message"]["fr"] and r.json()["message"]["en"]
        assert "Traceback" not in r.text


@pytest.mark.parametrize("raw", [
    "/api/search?q=%FF%FE%FD", "/api/search?q=%C3%28", "/api/search?q=%", "/api/search?q=%zz",
    "/api/resources/..%2F..%2Fetc%2Fpasswd", "/api/resources/%2e%2e%2f%2e%2e%2fmanifest.json",
    "/api/resources/" + "x" * 3000, "/api/resources/%00", "/static/../../pyproject.toml",
])
def test_hostile_urls(live_index, app_for, raw):
    index_dir, _ = live_index
    with app_for(index_dir) as client:
        r = client.get(raw)
        assert r.status_code in (200, 404, 414, 422), (raw, r.status_code)
        assert "[build-system]" not in r.text and "Traceback" not in r.text


def test_request_size_limits(live_index, app_for):
    index_dir, _ = live_index
    with app_for(index_dir) as client:
        assert client.get("/api/search?q=" + "a" * 5000).status_code == 414
        r = client.post("/admin/reload", content=b"x" * 100_000)
        assert r.status_code == 413


def test_rate_limit_answers_429_with_retry_after(live_index, app_for, embedder):
    index_dir, _ = live_index
    with app_for(index_dir, rate_limit="3/minute", rate_limit_exempt=[]) as client:
        codes = [client.get("/api/search", params={"q": "ESS"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/api/search", params={"q": "ESS"})
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Trop de requêtes" in r.json()["message"]["fr"]
        assert client.get("/healthz").status_code == 200  # only the search is limited
    with app_for(index_dir, rate_limit="3/minute", rate_limit_exempt=["testclient"]) as client:
        codes = [client.get("/api/search", params={"q": "ESS"}).status_code for _ in range(6)]
        assert codes == [200] * 6


def test_cors_only_for_configured_origins(live_index, app_for):
    index_dir, _ = live_index
    allowed = "https://www.rtes.fr"
    with app_for(index_dir, cors_origins=[allowed]) as client:
        ok = client.get("/api/search", params={"q": "ESS"}, headers={"Origin": allowed})
        assert ok.headers["access-control-allow-origin"] == allowed
        other = client.get("/api/search", params={"q": "ESS"},
                           headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = client.options("/api/search", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert pre.status_code == 400


def test_security_headers_on_page_and_widget(live_index, app_for):
    index_dir, _ = live_index
    with app_for(index_dir) as client:
        page = client.get("/")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert client.head("/").status_code == 200
        script = client.get("/widget.js")
        assert script.headers["x-content-type-options"] == "nosniff"
        assert script.headers["cross-origin-resource-policy"] == "cross-origin"


def test_member_tokens_never_logged(live_index, app_for, caplog):
    index_dir, _ = live_index
    caplog.set_level(logging.DEBUG)
    with app_for(index_dir) as client:
        client.get("/api/search", params={"q": "ESS"},
                   headers={"Authorization": f"Bearer {MEMBER}"})
        client.get("/api/search", params={"q": "ESS"},
                   headers={"Authorization": "Bearer mauvais-jeton-secret"})
    assert MEMBER not in caplog.text and "mauvais-jeton-secret" not in caplog.text
