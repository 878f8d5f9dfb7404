"""The shape of the quoted answer (search_service/quote_window.py, answer_span.py, quoted.py):
a long sentence's window, headings never alone, the answering part marked, its source lines.
"""

import html
import re

import pytest
from fastapi.testclient import TestClient

from indexer.sentences import split_sentences
from search_service.answer_span import answering_span
from search_service.app import create_app
from search_service.quote_window import (
    ELLIPSIS,
    MAX_ANSWER_CHARS,
    compose,
    first_quotable,
    is_heading,
    quote_highlight,
    quoted_lines,
    window,
)
from search_service.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.fast]

LONG = ("Dans le cadre de son chantier de travail sur l'approche filières, le RTES organisait une "
        "conférence en ligne sur le rôle des collectivités dans la structuration de filières "
        "économiques de territoire en lien avec l'ESS, avec des interventions autour des filières "
        "de la rénovation du bâtiment, du réemploi informatique et de vélos, puis une table ronde "
        "réunissant des élus de plusieurs villes, et enfin la présentation du garage solidaire "
        "installé à Lons-le-Saunier depuis 2012 qui emploie 14 salariés en insertion.")


def test_a_long_sentence_becomes_a_window_around_what_matched():
    assert len(LONG) > MAX_ANSWER_CHARS
    at = LONG.index("Lons-le-Saunier")
    shown = window(LONG, (at, at + len("Lons-le-Saunier")), MAX_ANSWER_CHARS)
    assert len(shown.shown) <= MAX_ANSWER_CHARS
    assert shown.shown.startswith(ELLIPSIS + " ") and "Lons-le-Saunier" in shown.shown
    kept = shown.shown.removeprefix(ELLIPSIS + " ").removesuffix(" " + ELLIPSIS)
    assert kept in LONG, "the window is the text itself, nothing rewritten"
    cut = LONG.index(kept)
    assert cut == 0 or LONG[cut - 1] == " ", "cut at a word boundary"
    end = cut + len(kept)
    assert end == len(LONG) or LONG[end] == " "


def test_the_window_holds_the_answering_part_and_marks_it():
    passage = "Contexte\n" + LONG
    sentence = next(s for s in split_sentences(passage) if s.text == LONG)
    quote = compose("Dans quelle ville est installé le garage solidaire ?", passage, sentence,
                    [(passage.index("garage"), passage.index("garage") + 6)])
    assert len(quote.text) <= MAX_ANSWER_CHARS and quote.mark is not None
    assert quote.text[quote.mark[0]:quote.mark[1]] == "à Lons-le-Saunier"
    marked = quote_highlight(quote)
    assert "<mark>à Lons-le-Saunier</mark>" in marked
    assert html.unescape(re.sub("</?mark>", "", marked)) == quote.text


@pytest.mark.parametrize(("question", "expected"), [
    ("Combien de salariés emploie le garage ?", "14"),
    ("Depuis quand le garage est-il installé ?", "2012"),
    ("Où est installé le garage solidaire ?", "à Lons-le-Saunier"),
])
def test_the_answering_part_is_what_the_question_asks_for(question, expected):
    near = [(LONG.index("salariés"), LONG.index("salariés") + 8)]
    span = answering_span(question, LONG, near)
    assert span is not None and LONG[span[0]:span[1]] == expected


def test_a_relative_qui_or_ou_asks_for_nobody():
    assert answering_span("les femmes qui vendent des plats", LONG) is None
    assert answering_span("le quartier où vivent les habitants", LONG) is None


def test_a_heading_is_never_quoted_alone():
    passage = "« Garage solidaire Jura »\nContexte\nUne phrase qui dit quelque chose d'utile."
    heading, body = split_sentences(passage)[0], split_sentences(passage)[-1]
    assert is_heading(passage, heading) and not is_heading(passage, body)
    assert compose("garage", passage, heading, []).text == f"{heading.text} {body.text}"
    alone = "Un texte qui commence par une phrase.\nTitre seul à la fin"
    first, last = split_sentences(alone)
    assert is_heading(alone, last)

    class Cand:
        def __init__(self, sentence):
            self.passage_index, self.sentence = 0, sentence

    assert first_quotable([Cand(last), Cand(first)], {0: alone}).sentence == first


def test_a_name_with_its_role_is_not_a_heading():
    passage = "Les intervenants\nClaude Sicart, président de Pole S et membre du CNV"
    assert not is_heading(passage, split_sentences(passage)[-1])


def test_quoted_lines_are_narrowed_only_when_lines_map_one_for_one():
    text = "première ligne.\ndeuxième ligne.\ntroisième ligne."
    at = text.index("deuxième")
    assert quoted_lines(text, 10, 12, at, at + 15) == (11, 11)
    assert quoted_lines(text, 10, 20, at, at + 15) == (10, 20), "blank lines between: unknown"


@pytest.fixture(scope="module")
def client(searcher, seed_index):
    settings = Settings(index_dir=seed_index, rate_limit_exempt=["testclient"],
                        reload_interval=0)
    with TestClient(create_app(settings, searcher=searcher)) as c:
        yield c


@pytest.mark.real_model
def test_a_factual_question_quotes_its_span_marked_with_its_source(client, seeds_dir):
    """« Combien d'habitants compte la ville des Mureaux ? » (dev q053): the quote holds the
    figure, marks it, and names the line it stands on."""
    body = client.get("/api/search", params={"q": "Combien d'habitants compte la ville des "
                                             "Mureaux ?"}).json()
    answer = body["answer"]
    assert body["confident"] and answer is not None
    marked = re.findall(r"<mark>(.*?)</mark>", answer["highlight"])
    assert len(marked) == 1 and re.search(r"\d", marked[0]), answer["highlight"]
    assert html.unescape(re.sub("</?mark>", "", answer["highlight"])) == answer["text"]
    src = answer["source"]
    lines = (seeds_dir / src["file"]).read_text().splitlines()[src["start_line"] - 1:
                                                               src["end_line"]]
    assert html.unescape(marked[0]) in " ".join(lines)


def test_every_answer_has_a_highlight_and_a_source_inside_its_passage(client):
    for q in ("comment une collectivité soutient une épicerie solidaire", "Migracoop",
              "Combien d'habitants compte la ville des Mureaux ?"):
        body = client.get("/api/search", params={"q": q}).json()
        answer = body["answer"]
        if answer is None:
            continue
        passage = next(p for r in body["results"] for p in r["passages"]
                       if p["id"] == answer["passage_id"])
        assert html.unescape(re.sub("</?mark>", "", answer["highlight"])) == answer["text"]
        assert len(answer["text"]) <= MAX_ANSWER_CHARS
        a, b = answer["source"], passage["source"]
        assert a["file"] == b["file"]
        assert b["start_line"] <= a["start_line"] <= a["end_line"] <= b["end_line"]
