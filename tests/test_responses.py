"""The web layer maps the core's dataclasses to the HTTP contract and adds nothing else: the
JSON body of /api/search is the core's `SearchResult`, field for field and in its order."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from search_service.app import create_app
from search_service.pipeline import run_search
from search_service.responses import search_response
from search_service.results import ResourceInfo, SearchResult
from search_service.retrieval import Filters
from search_service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.fast]

TOKEN = "membre-secret-1"


@pytest.fixture(scope="module")
def client(searcher, seed_index):
    settings = Settings(index_dir=seed_index, member_tokens=[TOKEN], analytics=False,
                        rate_limit_exempt=["testclient"], reload_interval=0)
    with TestClient(create_app(settings, searcher=searcher)) as c:
        yield c


def as_json(value) -> object:
    """What a dataclass becomes once written as JSON (tuples are arrays)."""
    return json.loads(json.dumps(asdict(value), ensure_ascii=False))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("member", [False, True])
def test_the_search_body_is_the_core_result(client, searcher, mode, member):
    query = "comment une collectivité soutient une épicerie solidaire"
    headers = {"Authorization": f"Bearer {TOKEN}"} if member else {}
    reply = client.get("/api/search", params={"q": query, "mode": mode, "k": 5},
                       headers=headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    core = run_search(searcher, query, k=5, mode=mode, filters=Filters(member=member))
    assert isinstance(core, SearchResult) and core.results
    want = as_json(core) | {"query_id": None}
    body["took_ms"] = want["took_ms"]
    assert body == want
    assert list(body) == list(want)  # the same order of fields
    for got, item in zip(body["results"], want["results"], strict=True):
        assert list(got) == list(item) and list(got["resource"]) == list(item["resource"])
        assert list(got["scores"]) == list(item["scores"])


def test_the_mapping_keeps_every_field(searcher):
    core = run_search(searcher, "épicerie solidaire")
    assert search_response(core).model_dump(exclude={"query_id"}) == as_json(core)


def test_a_resource_body_is_its_info(client, searcher):
    row = next(r for r in searcher.data.resources if not r["private"])
    reply = client.get(f"/api/resources/{row['id']}")
    assert reply.status_code == 200
    assert reply.json() == as_json(ResourceInfo.of(row))
