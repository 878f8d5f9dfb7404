"""Feedback on answers and the /admin page, in a real browser (Debian's Chromium) against the
real service writing a real SQLite log.

The server here allow-lists no address (searches from 127.0.0.1 are logged and can be rated)
and lifts the search rate limit; feedback keeps its own limit.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_widget
from axe_playwright_python.sync_playwright import Axe
from conftest import start_server, stop_server
from playwright.sync_api import Page, expect
from test_widget import QUESTION, Tab, axe_violations, box, serve_pages, widget

# The browser and its tabs, as the widget's tests have them.
browser = test_widget.browser
tab = test_widget.tab

pytestmark = pytest.mark.slow

ADMIN = "jeton-admin-de-test"
SCRIPT_COMMENT = "<script>window.pwned = 'comment'</script> <b>gras</b> & co"


@pytest.fixture(scope="module")
def site(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    allowed, allowed_url = serve_pages()
    refused, refused_url = serve_pages()
    db = tmp_path_factory.mktemp("feedback") / "log.sqlite3"
    process, api = start_server(seed_index, {
        "RTES_ADMIN_TOKENS": ADMIN, "RTES_RATE_LIMIT_EXEMPT": "",
        "RTES_RATE_LIMIT": "100000/minute", "RTES_FEEDBACK_RATE_LIMIT": "40/minute",
        "RTES_ANALYTICS_DB": str(db), "RTES_ANALYTICS_LINGER": "0",
        "RTES_CORS_ORIGINS": allowed_url})
    allowed.api = refused.api = api
    yield {"api": api, "db": db, "allowed": allowed_url, "refused": refused_url}
    stop_server(process)
    for server in (allowed, refused):
        server.shutdown()
        server.server_close()


def request(base: str, method: str, path: str, body: dict | None = None,
            headers: dict[str, str] | None = None, source: str = "127.0.0.1") -> tuple[int, dict]:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120,
                                      source_address=(source, 0))
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, path, body=data, headers={
            **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def search_id(base: str, q: str = QUESTION) -> str:
    status_code, body = request(base, "GET", "/api/search?" + urllib.parse.urlencode({"q": q}))
    assert status_code == 200 and body["query_id"]
    return body["query_id"]


def feedback_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT query_id, helpful, comment FROM feedback "
                            "ORDER BY id").fetchall()


def admin_axe(page: Page) -> list[str]:
    audit = Axe().run(page, options={"resultTypes": ["violations"]}).response
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in audit["violations"]]


def test_feedback_round_trips_from_the_widget_by_keyboard(site: dict, tab: Tab):
    page = tab.page
    page.goto(f"{site['api']}/")
    box(page).focus()
    page.keyboard.type(QUESTION)
    with page.expect_response(lambda r: "/api/search" in r.url) as answered:
        page.keyboard.press("Enter")
    query_id = answered.value.json()["query_id"]
    question = widget(page).get_by_text("Cette réponse vous a-t-elle aidé\u00a0?")
    expect(question).to_be_visible()
    assert axe_violations(page) == []
    comment = widget(page).get_by_role("textbox", name="Commentaire (facultatif)")
    no = widget(page).get_by_role("button", name="Non")
    for _ in range(12):  # from the box, Tab alone reaches the comment
        page.keyboard.press("Tab")
        if comment.evaluate("e => e.getRootNode().activeElement === e"):
            break
    expect(comment).to_be_focused()
    page.keyboard.type("La source date un peu.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(no).to_be_focused()
    with page.expect_response(lambda r: "/api/feedback" in r.url) as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 201
    expect(widget(page).get_by_text("Merci pour votre avis.")).to_be_visible()
    thanks = widget(page).locator("[aria-live]", has_text="Merci")
    expect(thanks).to_have_count(1)
    assert (query_id, 0, "La source date un peu.") in feedback_rows(site["db"])
    assert tab.errors == []


def test_feedback_api_refuses_unknown_ids_long_comments_and_other_origins(site: dict):
    api = site["api"]
    assert request(api, "POST", "/api/feedback", {"query_id": "inconnu", "helpful": True})[0] == 404
    qid = search_id(api)
    long = {"query_id": qid, "helpful": False, "comment": "x" * 501}
    assert request(api, "POST", "/api/feedback", long)[0] == 422
    refused = request(api, "POST", "/api/feedback", {"query_id": qid, "helpful": True},
                      headers={"Origin": site["refused"]})
    assert refused[0] == 403
    allowed = request(api, "POST", "/api/feedback", {"query_id": qid, "helpful": True},
                      headers={"Origin": site["allowed"]})
    assert allowed[0] == 201
    statuses = [request(api, "POST", "/api/feedback", {"query_id": qid, "helpful": True},
                        source="127.0.0.3")[0] for _ in range(41)]
    assert statuses[:40] == [201] * 40 and statuses[40] == 429


def test_a_page_on_an_unlisted_origin_cannot_post_feedback(site: dict, tab: Tab):
    api, qid = site["api"], search_id(site["api"])
    script = """async ([api, qid]) => {
        try {
            const r = await fetch(api + "/api/feedback", {method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({query_id: qid, helpful: false, comment: "d'ailleurs"})});
            return r.status;
        } catch (e) { return "blocked"; }
    }"""
    page = tab.page
    page.goto(f"{site['refused']}/")
    assert page.evaluate(script, [api, qid]) == "blocked"
    page.goto(f"{site['allowed']}/")
    assert page.evaluate(script, [api, qid]) == 201
    assert [c for q, _, c in feedback_rows(site["db"]) if q == qid] == ["d'ailleurs"]


def show_admin(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/admin")
    page.get_by_label("Jeton d’administration").fill(token)
    page.get_by_role("button", name="Afficher").click()


def test_admin_page_shows_the_reports_and_comments_as_text(site: dict, tab: Tab):
    api = site["api"]
    qid = search_id(api, "délai pour renouveler une carte d'identité")
    assert request(api, "POST", "/api/feedback",
                   {"query_id": qid, "helpful": False, "comment": SCRIPT_COMMENT})[0] == 201
    page = tab.page
    show_admin(page, api, ADMIN)
    data = page.locator("#data")
    expect(data.get_by_role("heading", name="Recherches par jour")).to_be_visible()
    expect(data.get_by_role("img", name="Recherches par jour", exact=False)).to_be_visible()
    expect(data.get_by_role("heading", name="Questions sans réponse sûre les plus posées")
           ).to_be_visible()
    expect(data).to_contain_text("délai pour renouveler une carte d'identité")
    expect(data.get_by_role("cell", name=SCRIPT_COMMENT)).to_have_count(1)
    expect(data.get_by_role("heading", name="Temps de réponse")).to_be_visible()
    assert page.evaluate("window.pwned") is None
    assert data.locator("script, b").count() == 0
    assert admin_axe(page) == []
    page.screenshot(path=str(Path(site["db"]).parent / "admin.png"), full_page=True)
    # The token stays for the tab: a reload shows the data again without asking.
    page.reload()
    expect(page.locator("#data")).to_contain_text("délai pour renouveler")
    assert page.evaluate("sessionStorage.length") == 1 and tab.errors == []


def test_admin_page_with_a_wrong_token_shows_no_data(site: dict, tab: Tab):
    page = tab.page
    show_admin(page, site["api"], "pas-le-bon-jeton")
    expect(page.get_by_role("status")).to_have_text("Jeton d'administration requis.")
    expect(page.locator("#data")).to_be_hidden()
    assert page.locator("#data *").count() == 0
    assert page.evaluate("sessionStorage.length") == 0
    assert admin_axe(page) == []
