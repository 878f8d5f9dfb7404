"""The service as users run it: `python -m search_service` under uvicorn, over real HTTP."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import MEMBER_TOKEN

pytestmark = pytest.mark.slow


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_health_ready_and_search(live_server):
    assert get(f"{live_server}/healthz") == (200, {"status": "ok"})
    status, ready = get(f"{live_server}/readyz")
    assert status == 200 and ready["resources"] == 60
    q = urllib.parse.quote("comment une collectivité soutient une épicerie solidaire")
    status, body = get(f"{live_server}/api/search?q={q}&k=5")
    assert status == 200 and body["confident"] and len(body["results"]) == 5
    assert body["answer"] and body["answer"]["resource_id"] in {
        r["resource"]["id"] for r in body["results"]}


def test_privacy_over_http(live_server):
    q = urllib.parse.quote("Newsletter RTES politique de la ville")
    _, public = get(f"{live_server}/api/search?q={q}&k=50")
    assert not any(r["resource"]["private"] for r in public["results"])
    _, member = get(f"{live_server}/api/search?q={q}&k=50",
                    {"Authorization": f"Bearer {MEMBER_TOKEN}"})
    assert any(r["resource"]["private"] for r in member["results"])
    status, body = get(f"{live_server}/api/search?q={q}", {"Authorization": "Bearer nope"})
    assert status == 401 and body["message"]["fr"]


def test_bad_input_over_http(live_server):
    for query in ("q=", "q=%20%20", "q=ESS&k=0", "q=ESS&k=99", "q=%FF%FE", "k=3"):
        status, body = get(f"{live_server}/api/search?{query}")
        assert status == 422 or (status == 200 and "results" in body), (query, status, body)
        assert status != 500


def test_demo_page_and_widget_served(live_server):
    with urllib.request.urlopen(f"{live_server}/", timeout=10) as response:
        assert response.status == 200 and "text/html" in response.headers["content-type"]
    with urllib.request.urlopen(f"{live_server}/widget.js", timeout=10) as response:
        assert "javascript" in response.headers["content-type"]
