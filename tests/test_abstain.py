"""Knowing when there is no answer, on the seed index: nonsense, invisible-only queries, and a
name only a private resource mentions (search_service/abstain.py, search_service/query_text.py).
"""

import pytest
from fastapi.testclient import TestClient

from search_service.abstain import NO_ANSWER, Vocabulary, abstain_reason, names, unknown_names
from search_service.app import create_app
from search_service.query_text import has_content
from search_service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.fast]

TOKEN = "membre-abstain"
BALANZAN = "le restaurant social Balanzan à Vitry-sur-Seine"
PRIVATE_NEWSLETTER = "newsletter-newsletter-rtes-politique-de-la-ville-2022-03"


@pytest.fixture(scope="module")
def client(searcher, seed_index):
    settings = Settings(index_dir=seed_index, member_tokens=[TOKEN],
                        rate_limit_exempt=["testclient"], reload_interval=0)
    with TestClient(create_app(settings, searcher=searcher)) as c:
        yield c


def search(client, q, **headers):
    response = client.get("/api/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_nonsense_gets_results_but_no_answer(client):
    body = search(client, "asdfghjkl")
    assert body["results"], "still searched: the closest resources are shown"
    assert body["confident"] is False and body["answer"] is None
    assert body["confidence"] == NO_ANSWER


@pytest.mark.parametrize("query", ["\u200b\u200b\u200b", "\u200d\u2060\ufeff", "\u0301\u0301",
                                   "?!…", "\u200b . \u200b"])
def test_a_query_with_nothing_visible_is_a_clear_422(client, query):
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert "aucune lettre" in message["fr"] and "no letter, digit or symbol" in message["en"]


@pytest.mark.parametrize("query", ["😀" * 500, "社会经济", "ESS", "n°110", "€"])
def test_emoji_cjk_digits_and_symbols_are_searched(client, query):
    assert has_content(query)
    assert client.get("/api/search", params={"q": query}).status_code == 200


def test_a_name_only_a_private_resource_mentions_is_unanswered_anonymously(client):
    body = search(client, BALANZAN)
    assert body["confident"] is False and body["answer"] is None
    assert body["confidence"] == NO_ANSWER
    assert not any(r["resource"]["private"] for r in body["results"])
    assert "Balanzan" not in str(body["results"]), "no public passage names it"


def test_members_see_the_name(searcher):
    """With the member vocabulary the rule does not fire: the private newsletter names it."""
    assert abstain_reason(searcher, BALANZAN, member=False) is not None
    assert abstain_reason(searcher, BALANZAN, member=True) is None
    assert unknown_names(BALANZAN, Vocabulary(searcher, member=False)) == [
        "Balanzan", "Vitry-sur-Seine"]
    assert unknown_names(BALANZAN, Vocabulary(searcher, member=True)) == []


@pytest.mark.real_model
def test_members_get_the_answer_from_the_private_newsletter(client):
    body = search(client, BALANZAN, Authorization=f"Bearer {TOKEN}")
    assert body["confident"] is True
    assert body["answer"]["resource_id"] == PRIVATE_NEWSLETTER
    assert "Balanzan" in body["answer"]["text"]


def test_names_skip_the_words_that_open_a_sentence():
    assert names("Où est implanté le PTCE PHARES ?") == ["PTCE", "PHARES"]
    assert names("¿Qué hace el RTES? Dónde está Migracoop") == ["RTES", "Migracoop"]
    assert names("« Garage solidaire » du Jura") == ["Jura"]


@pytest.mark.parametrize("question", [
    "Migracop",  # a typo: « migrac… » is a prefix of a public word
    "Quelle présidente du RTES ?",  # an inflection the stemmer keeps apart
    "épicerie solidaire à Grigny", "Vieux-Gatineau", "Castanet-Tolosan",
])
def test_typos_inflections_and_known_places_are_seen(searcher, question):
    assert abstain_reason(searcher, question, member=False) is None


@pytest.mark.parametrize("question", ["asdfghjkl", "😀😀", "de la", "zxqv wvxq"])
def test_nothing_to_find(searcher, question):
    assert abstain_reason(searcher, question, member=False) == (
        "no word of the question occurs in the corpus")
