"""The search widget in a real browser (Debian's Chromium) against the real service.

What a visitor sees and does: the answer and the results grouped by kind, the keyboard, the
« not confident » display, a service down or slow, stale replies, index text that looks like
HTML, a page on another site (allowed by CORS or not), English pages, and axe's audit.
"""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import MEMBER_TOKEN, start_server, stop_server
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from eval.server import free_port

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PAGES = Path(__file__).parent / "widget_pages"
LABEL_FR = "Rechercher dans les ressources du RTES"
LABEL_EN = "Search the RTES resources"
QUESTION = "comment une collectivité soutient une épicerie solidaire"
OUT_OF_SCOPE = "délai pour renouveler une carte d'identité"
PRIVATE_QUESTION = "Newsletter RTES politique de la ville"
UNREACHABLE_FR = "Le service de recherche est injoignable. Réessayez plus tard."
KINDS_FR = {"fiche": "Fiches", "conference": "Conférences", "newsletter": "Lettres d’information",
            "event": "Événements", "article": "Articles", "catalogue": "Catalogue"}
NBSP = "\u00a0"

expect.set_options(timeout=20_000)


@dataclass
class Tab:
    """A fresh page, with what it logged: console errors, uncaught errors, dialogs."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


class PageServer(ThreadingHTTPServer):
    """Serves tests/widget_pages/embed.html as another site would, from its own origin."""

    api = ""


class EmbedHandler(BaseHTTPRequestHandler):
    server: PageServer

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        lang = "en" if query.get("lang") == ["en"] else "fr"
        page = (PAGES / "embed.html").read_text(encoding="utf-8")
        body = page.replace("{api}", self.server.api).replace("{lang}", lang).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is for failures."""


def serve_pages() -> tuple[PageServer, str]:
    server = PageServer(("127.0.0.1", 0), EmbedHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def other_sites(seed_index: Path) -> Iterator[dict[str, str]]:
    """Two page origins and an API that allows only the first one."""
    allowed, allowed_url = serve_pages()
    refused, refused_url = serve_pages()
    service, api = start_server(seed_index, {"RTES_CORS_ORIGINS": allowed_url})
    allowed.api = refused.api = api
    yield {"allowed": allowed_url, "refused": refused_url, "api": api}
    stop_server(service)
    for server in (allowed, refused):
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (make browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    tab = Tab(context.new_page())
    tab.page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.page.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    yield tab
    context.close()


def api_search(base: str, q: str, k: int) -> dict:
    url = f"{base}/api/search?{urllib.parse.urlencode({'q': q, 'k': k})}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def is_search(url: str) -> bool:
    return urllib.parse.urlsplit(url).path == "/api/search"


def query_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("q", [""])[0]


def widget(page: Page) -> Locator:
    return page.locator("rtes-search")


def status(page: Page) -> Locator:
    return widget(page).get_by_role("status")


def box(page: Page, label: str = LABEL_FR) -> Locator:
    return widget(page).get_by_role("searchbox", name=label)


def search(page: Page, q: str, label: str = LABEL_FR) -> None:
    box(page, label).fill(q)
    box(page, label).press("Enter")


def fr_quote(q: str) -> str:
    return f"«{NBSP}{q}{NBSP}»"


def grouped(results: list[dict]) -> tuple[list[str], list[str]]:
    """The kind headings and the titles in display order: kinds by first appearance."""
    kinds: dict[str, list[str]] = {}
    for result in results:
        kinds.setdefault(result["resource"]["kind"], []).append(result["resource"]["title"])
    headings = [f"{KINDS_FR[kind]} ({len(titles)})" for kind, titles in kinds.items()]
    return headings, [title for titles in kinds.values() for title in titles]


def axe_violations(page: Page) -> list[str]:
    """axe-core's audit of the whole page, the widget's shadow DOM included (checked)."""
    audit = Axe().run(page, options={"resultTypes": ["violations", "passes"]}).response
    inside = [node["target"] for rule in audit["passes"] for node in rule["nodes"]
              if isinstance(node["target"][0], list) and node["target"][0][0] == "rtes-search"]
    assert len(inside) > 20, "axe did not look inside the widget"
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
            for v in audit["violations"]]


def test_question_shows_the_answer_then_results_grouped_by_kind(live_server: str, tab: Tab):
    expected = api_search(live_server, QUESTION, k=8)
    assert expected["confident"] and expected["answer"]
    page = tab.page
    page.goto(f"{live_server}/")
    box(page).press_sequentially(QUESTION, delay=15)
    expect(status(page)).to_have_text(f"Une réponse et 8 résultats pour {fr_quote(QUESTION)}.")

    answer = expected["answer"]
    source = answer["source"]  # the quoted sentence's lines
    title = next(r["resource"]["title"] for r in expected["results"]
                 if r["resource"]["id"] == answer["resource_id"])
    shown = widget(page).locator(".answer")
    expect(shown.locator("blockquote")).to_have_text(fr_quote(answer["text"]))
    marked = re.findall(r"<mark>(.*?)</mark>", answer["highlight"])
    assert marked, answer["highlight"]
    expect(shown.locator("blockquote mark")).to_have_text([html.unescape(m) for m in marked])
    expect(shown.get_by_role("link")).to_have_text(title)
    expect(shown).to_contain_text(
        f"{source['file']}, lignes {source['start_line']} à {source['end_line']}")

    headings, titles = grouped(expected["results"])
    results = widget(page).locator(".out li")
    expect(widget(page).locator(".out h3")).to_have_text(headings)
    expect(results.locator("h4")).to_have_text(titles)
    first = expected["results"][0]["resource"]
    expect(results.first.get_by_role("link")).to_have_attribute("href", f"#resource-{first['id']}")
    assert results.locator("mark").count() >= len(titles)
    assert tab.errors == []


def test_keyboard_debounce_enter_arrows_and_escape(live_server: str, tab: Tab):
    page = tab.page
    start = datetime(2030, 1, 1)
    page.clock.install(time=start)
    page.goto(f"{live_server}/")
    page.clock.pause_at(start + timedelta(minutes=1))
    sent: list[str] = []
    page.on("request", lambda r: is_search(r.url) and sent.append(query_of(r.url)))

    for _ in range(5):  # from the top of the page, Tab reaches the search box
        page.keyboard.press("Tab")
        if box(page).evaluate("e => e.getRootNode().activeElement === e"):
            break
    expect(box(page)).to_be_focused()
    page.keyboard.type("épicerie solidaire")
    page.clock.run_for(200)
    assert sent == []  # still within the 250 ms pause
    with page.expect_request(lambda r: is_search(r.url)):
        page.clock.run_for(100)
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire"))

    page.keyboard.press("Escape")
    expect(box(page)).to_have_value("")
    expect(box(page)).to_be_focused()
    page.keyboard.type(QUESTION)
    with page.expect_request(lambda r: is_search(r.url)):
        page.keyboard.press("Enter")  # at once, without waiting for the pause
    expect(status(page)).to_contain_text(fr_quote(QUESTION))
    page.clock.run_for(1000)
    assert sent == ["épicerie solidaire", QUESTION]

    links = widget(page).locator(".out a")
    for key, focused in (("ArrowDown", links.nth(0)), ("ArrowDown", links.nth(1)),
                         ("ArrowUp", links.nth(0)), ("ArrowUp", box(page)),
                         ("Tab", widget(page).get_by_role("button", name="Rechercher")),
                         ("Tab", links.nth(0)), ("ArrowDown", links.nth(1))):
        page.keyboard.press(key)
        expect(focused).to_be_focused()
    page.keyboard.press("Escape")  # from a result: clears, and focus goes back to the box
    expect(box(page)).to_be_focused()
    expect(box(page)).to_have_value("")
    expect(links).to_have_count(0)
    expect(status(page)).to_have_text("")
    assert tab.errors == []


def test_searches_fired_while_typing_are_marked_and_a_submitted_one_is_not(live_server: str,
                                                                          tab: Tab):
    """The service does not log `typing=1` searches (the query log): only what is submitted."""
    page = tab.page
    start = datetime(2030, 1, 1)
    page.clock.install(time=start)
    page.goto(f"{live_server}/")
    page.clock.pause_at(start + timedelta(minutes=1))
    sent: list[tuple[str, list[str]]] = []

    def typing_of(url: str) -> list[str]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("typing", [])

    page.on("request", lambda r: is_search(r.url) and sent.append((query_of(r.url),
                                                                   typing_of(r.url))))
    box(page).focus()
    page.keyboard.type("épicerie solidaire")
    with page.expect_request(lambda r: is_search(r.url)):
        page.clock.run_for(300)  # the pause in typing fires the search
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire"))
    with page.expect_request(lambda r: is_search(r.url)):
        page.keyboard.press("Enter")  # the same text, submitted: asked again, unmarked
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire"))
    page.keyboard.type(" de quartier")
    with page.expect_request(lambda r: is_search(r.url)):
        page.keyboard.press("Enter")  # before the pause: only the submitted search goes
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire de quartier"))
    page.clock.run_for(1000)
    assert sent == [("épicerie solidaire", ["1"]), ("épicerie solidaire", []),
                    ("épicerie solidaire de quartier", [])]
    assert tab.errors == []


def test_not_confident_says_so_and_marks_the_closest_results(live_server: str, tab: Tab):
    expected = api_search(live_server, OUT_OF_SCOPE, k=8)
    assert not expected["confident"]
    count = len(expected["results"])
    page = tab.page
    page.goto(f"{live_server}/")
    search(page, OUT_OF_SCOPE)
    expect(status(page)).to_have_text(
        f"Aucun résultat pertinent pour {fr_quote(OUT_OF_SCOPE)}. {count} résultats approchants.")
    shown = widget(page)
    expect(shown.locator(".notice")).to_contain_text("à titre indicatif")
    expect(shown.get_by_role("heading", level=2)).to_have_text("Résultats les plus proches")
    expect(shown.locator(".answer")).to_have_count(0)
    expect(shown.locator(".closest li")).to_have_count(count)
    assert axe_violations(page) == []
    assert tab.errors == []


def test_service_down_or_slow_shows_a_clear_message(live_server: str, tab: Tab):
    page = tab.page
    page.goto(f"{live_server}/")
    widget(page).evaluate("(w, url) => w.setAttribute('api', url)",
                          f"http://127.0.0.1:{free_port()}")
    search(page, QUESTION)
    expect(status(page)).to_have_text(UNREACHABLE_FR)
    expect(box(page)).to_be_focused()

    held: list[Route] = []
    page.route(lambda url: is_search(url), lambda r: held.append(r))  # never answers
    widget(page).evaluate("(w, url) => { w.setAttribute('api', url); "
                          "w.setAttribute('timeout', '1000'); }", live_server)
    search(page, "épicerie solidaire")
    expect(widget(page).locator(".loading")).to_be_visible()
    expect(status(page)).to_have_text(
        "Le service de recherche ne répond pas à temps. Réessayez dans un instant.")
    expect(widget(page).locator(".loading")).to_be_hidden()
    assert len(held) == 1


def test_a_slow_reply_to_an_older_query_never_replaces_the_newer_one(live_server: str,
                                                                      tab: Tab):
    page = tab.page
    page.goto(f"{live_server}/")
    held: list[Route] = []
    page.route(lambda url: is_search(url) and query_of(url) == "épi", lambda r: held.append(r))
    with page.expect_request(lambda r: is_search(r.url) and query_of(r.url) == "épi"):
        box(page).fill("épi")
    box(page).fill("épicerie solidaire")
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire"))
    titles = widget(page).locator(".out h4").all_inner_texts()

    stale = {"query": "épi", "language": "fr", "confident": True, "confidence": 1.0,
             "took_ms": 1.0, "answer": None, "results": [crafted_result("RÉPONSE PÉRIMÉE")]}
    assert len(held) == 1
    try:  # the widget may have aborted that request already: then there is nothing to answer
        held[0].fulfill(json=stale)
    except Exception as error:
        assert "abort" in str(error).lower() or "handled" in str(error).lower(), error
    page.wait_for_timeout(500)
    expect(status(page)).to_contain_text(fr_quote("épicerie solidaire"))
    expect(widget(page).locator(".out h4")).to_have_text(titles)
    expect(widget(page)).not_to_contain_text("PÉRIMÉE")


def crafted_result(title: str, highlight: str = "un <mark>extrait</mark>",
                   rid: str = "piege") -> dict:
    source = {"file": "x.txt", "start_line": 1, "end_line": 2}
    resource = {"id": rid, "title": title, "kind": "fiche", "date": "2021-05",
                "keywords": ["<script>window.pwned = 'keyword'</script>"], "private": False,
                "source": source}
    passage = {"id": "1", "text": "x", "highlight": highlight, "section": "<b>section</b>",
               "score": 1.0, "source": source}
    return {"resource": resource, "score": 1.0, "scores": {"dense": 1.0, "lexical": 1.0},
            "passages": [passage]}


def test_index_text_that_looks_like_html_shows_as_text(live_server: str, tab: Tab):
    title = "<img src=x onerror=\"window.pwned='title'\">Titre piégé"
    highlight = ("&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt; puis "
                 "<mark>&lt;b&gt;marqué&lt;/b&gt;</mark> et <img src=x onerror=alert(1)>")
    rid = "\" onmouseover=\"window.pwned='id'"
    body = {"query": "piège", "language": "fr", "confident": True, "confidence": 1.0,
            "took_ms": 1.0, "results": [crafted_result(title, highlight, rid)],
            "answer": {"text": "<img src=x onerror=alert(2)> réponse", "resource_id": rid,
                       "passage_id": "1", "score": 1.0}}
    page = tab.page
    page.route(lambda url: is_search(url), lambda route: route.fulfill(json=body))
    page.goto(f"{live_server}/")
    search(page, "piège à HTML")
    shown = widget(page)
    expect(shown.locator(".out h4")).to_have_text(title)
    expect(shown.locator("blockquote")).to_have_text(fr_quote(body["answer"]["text"]))
    expect(shown.locator(".out mark")).to_have_text("<b>marqué</b>")
    expect(shown.locator(".passage")).to_contain_text(
        "<b>section</b> — <img src=x onerror=\"window.pwned=1\"> puis <b>marqué</b> et "
        "<img src=x onerror=alert(1)>")
    expect(shown.locator(".out")).to_contain_text("<script>window.pwned = 'keyword'</script>")
    for tag in ("img", "script", "b"):
        expect(shown.locator(tag)).to_have_count(0)
    href = shown.locator(".out h4 a").get_attribute("href")
    assert href == "#resource-" + urllib.parse.quote(rid, safe="'()*!~")
    shown.locator(".out h4 a").hover()
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None and tab.dialogs == []


def test_member_token_is_sent_and_shows_private_resources(live_server: str, tab: Tab):
    page = tab.page
    page.goto(f"{live_server}/")
    sent: list[str | None] = []
    page.on("request", lambda r: is_search(r.url) and sent.append(r.headers.get("authorization")))
    members_only = widget(page).get_by_text("Réservé aux membres")

    widget(page).evaluate("w => w.setAttribute('results', '50')")
    search(page, PRIVATE_QUESTION)
    expect(status(page)).to_contain_text("résultats pour")
    expect(members_only).to_have_count(0)

    widget(page).evaluate("(w, t) => w.setAttribute('token', t)", MEMBER_TOKEN)
    search(page, PRIVATE_QUESTION)  # the same words, now as a member: searched again
    expect(members_only.first).to_be_visible()

    widget(page).evaluate("w => w.setAttribute('token', 'faux-jeton')")
    search(page, "politique de la ville")
    expect(status(page)).to_have_text("Jeton de membre invalide.")
    assert sent == [None, f"Bearer {MEMBER_TOKEN}", "Bearer faux-jeton"]


def test_kinds_and_results_attributes_filter_the_search(live_server: str, tab: Tab):
    page = tab.page
    page.goto(f"{live_server}/")
    widget(page).evaluate("w => { w.setAttribute('kinds', 'fiche conference'); "
                          "w.setAttribute('results', '4'); }")
    with page.expect_request(lambda r: is_search(r.url)) as request:
        search(page, QUESTION)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.value.url).query)
    assert query["kind"] == ["fiche", "conference"] and query["k"] == ["4"]
    expect(widget(page).locator(".out li")).to_have_count(4)
    for heading in widget(page).locator(".out h3").all_inner_texts():
        assert heading.startswith(("Fiches", "Conférences")), heading


def test_another_site_allowed_by_cors_uses_the_scripts_origin(other_sites: dict[str, str],
                                                               tab: Tab):
    page = tab.page
    page.goto(f"{other_sites['allowed']}/")
    with page.expect_request(lambda r: is_search(r.url)) as request:
        search(page, QUESTION)
    assert request.value.url.startswith(f"{other_sites['api']}/api/search?")
    expect(status(page)).to_have_text(f"Une réponse et 5 résultats pour {fr_quote(QUESTION)}.")
    assert tab.errors == []


def test_another_site_not_allowed_gets_the_unreachable_message(other_sites: dict[str, str],
                                                                tab: Tab):
    page = tab.page
    page.goto(f"{other_sites['refused']}/")
    search(page, QUESTION)
    expect(status(page)).to_have_text(UNREACHABLE_FR)
    expect(widget(page).locator(".out li")).to_have_count(0)
    assert any("CORS" in error for error in tab.errors), tab.errors  # the browser's refusal


def test_english_page_gets_english_strings(other_sites: dict[str, str], tab: Tab):
    page = tab.page
    page.goto(f"{other_sites['allowed']}/?lang=en")
    expect(widget(page).get_by_role("button", name="Search", exact=True)).to_be_visible()
    search(page, QUESTION, label=LABEL_EN)
    expect(status(page)).to_have_text(f"An answer and 5 results for “{QUESTION}”.")
    expect(widget(page).get_by_role("heading", name="Answer")).to_be_visible()
    expect(widget(page).get_by_role("heading", name="Results", exact=True)).to_be_visible()
    search(page, OUT_OF_SCOPE, label=LABEL_EN)
    expect(status(page)).to_contain_text(f"No relevant result for “{OUT_OF_SCOPE}”.")
    search(page, "ab", label=LABEL_EN)
    expect(status(page)).to_have_text("Type at least 3 characters.")
    assert tab.errors == []


def test_demo_page_with_results_passes_axe_and_is_screenshotted(live_server: str, tab: Tab,
                                                                tmp_path: Path):
    page = tab.page
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Recherche dans les ressources du RTES")
    search(page, QUESTION)
    expect(status(page)).to_contain_text("Une réponse et 8 résultats")
    assert axe_violations(page) == []
    shot = tmp_path / "demo.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000
    assert tab.errors == []
