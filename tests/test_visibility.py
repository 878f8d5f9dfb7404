"""A private resource changes no number an anonymous caller sees (issue 12, §1).

The seed index (63 resources, 3 of them private) is compared with an index built from its
60 public resources alone: for several words and questions, in every mode, every score an
anonymous search returns (`scores.lexical`, `scores.dense`, the fused score, each passage's
score, the answer's score, the confidence) and every statistic behind them (BM25 per
passage, the name bonus per passage; since issue 17 the n-gram BM25, the lexicon's BM25,
the summed IDF and coverage, the fused and resource scores with the resource vectors and the
hierarchy; since issue 17b the RM3 feedback terms' BM25; since issue 17d all of them
over the lexical query without its framing words) must be the same. Each statistic
added later joins `statistics` below (the rule is written in `indexer.visibility`).
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS, MEMBER_TOKEN

from indexer.build import build_index
from indexer.store import switch_current
from indexer.visibility import visible_positions
from search_service.hybrid import rank_hybrid
from search_service.loading import load_searcher
from search_service.pipeline import run_search
from search_service.question import analyse, expansion_tokens
from search_service.retrieval import Filters, Searcher

pytestmark = [pytest.mark.slow, pytest.mark.fast]

QUERIES = [
    "Miquel", "Cognard",  # the pair of the attack run: same count in the same public passage
    "politique de la ville", "Newsletter RTES", "ANCT", "ESS", "communes et interco",
    "épicerie solidaire", "Migracoop", "fiche n°110",
    "comment une collectivité soutient une épicerie solidaire",
    "comment la mairie aide les habitants d'une cité à monter un garage pas cher",
    # Framing words (issue 17d) dropped from the lexical query on both indexes alike.
    "quelles sont les aides pour une épicerie solidaire ? merci",
    # Only a private newsletter names them: no answer anonymously, as on a public-only index.
    "le restaurant social Balanzan à Vitry-sur-Seine", "asdfghjkl",
]
MODES = ("bm25", "dense", "hybrid")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Every test here on both backends."""
    return request.param


@pytest.fixture(scope="module")
def searcher(request, backend, searcher):
    return searcher if backend == "embedded" else request.getfixturevalue("pg_searcher")


@pytest.fixture(scope="module")
def public_only(request, backend, public_only_embedded, embedder) -> Searcher:
    """The public-only index on the same backend: for postgres, published into a database
    of its own on the session's server, so both sides run the same SQL."""
    if backend == "embedded":
        return public_only_embedded
    from indexer.opening import open_version
    from indexer.pg_store import connect, publish
    from search_service.pg_loading import database_for, load_pg_searcher

    url = request.getfixturevalue("pg_seed")
    with connect(url) as conn:
        conn.autocommit = True
        conn.execute("CREATE DATABASE public_only")
    other = url.replace("@/postgres?", "@/public_only?")
    publish(other, open_version(public_only_embedded.data.path))
    return load_pg_searcher(database_for(other), embedder=embedder)


@pytest.fixture(scope="module")
def public_only_embedded(tmp_path_factory, seed_index: Path, seeds_dir: Path, embedder) -> Searcher:
    """An index of the public resources only. It starts as a copy of the seed index, so the
    build reuses its vectors (the same floats, nothing encoded again)."""
    index_dir = tmp_path_factory.mktemp("public-only")
    live = (seed_index / "current").resolve()
    shutil.copytree(live, index_dir / "versions" / live.name)
    switch_current(index_dir, index_dir / "versions" / live.name)
    summary = build_index(seeds_dir, index_dir, embedder, progress=False,
                          keep=lambda r: not r.private)
    assert summary.private == 0 and summary.resources == 60 and summary.embedded == 0
    return load_searcher(index_dir, embedder=embedder)


def by_id(searcher: Searcher, values: np.ndarray) -> dict[str, float]:
    """Per-passage values keyed by passage id, for the public passages only."""
    private = [searcher.resources[p["resource_id"]]["private"] for p in searcher.data.passages]
    return {searcher.data.passages[i]["id"]: float(values[i])
            for i in visible_positions(private, "public")}


def statistics(searcher: Searcher, query: str) -> dict[str, dict[str, float]]:
    """Every corpus statistic an anonymous search uses, per public passage."""
    question = analyse(searcher, query)
    tokens = list(question.lexical_tokens)  # without the framing words (issue 17d)
    mask = searcher.allowed(Filters())
    stemmed = searcher.lexical_scores(tokens, mask, member=False)
    extra = expansion_tokens(searcher, query, question.tokens)
    ranking = rank_hybrid(searcher, question, searcher.dense_scores(question.vector, mask),
                          stemmed, mask, member=False)
    return {"bm25": by_id(searcher, stemmed),
            "name bonus": by_id(searcher, searcher.name_boost(tokens, query, member=False)),
            "n-gram bm25": by_id(searcher, searcher.ngram_field.scores(
                list(question.ngrams), "public", mask)),
            "lexicon bm25": by_id(searcher, searcher.stemmed_field.scores(extra, "public",
                                                                            mask)),
            "summed idf": {"": searcher.stemmed_field.idf_sum(tokens, "public")},
            "coverage": {"": ranking.coverage},
            "rm3 bm25": by_id(searcher, ranking.passage_signals["rm3"]),
            "fused": by_id(searcher, ranking.fused),
            "resource scores": dict(ranking.resource_scores)}


def response(searcher: Searcher, query: str, mode: str) -> dict:
    body = asdict(run_search(searcher, query, k=50, mode=mode))
    body.pop("took_ms")
    return body


def numbers(value, path: str = "") -> dict[str, float]:
    """Every number of a response body, keyed by where it sits."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in numbers(item, f"{path}.{key}")
                .items()}
    if isinstance(value, list | tuple):
        return {k: v for i, item in enumerate(value) for k, v in numbers(item, f"{path}[{i}]")
                .items()}
    if isinstance(value, float):
        return {path: value}
    return {}


@pytest.mark.parametrize("query", QUERIES)
def test_statistics_are_those_of_the_public_passages(searcher, public_only, query):
    seed, reference = statistics(searcher, query), statistics(public_only, query)
    assert seed.keys() == reference.keys()
    for name, values in seed.items():
        assert values.keys() == reference[name].keys()
        for pid, value in values.items():
            assert value == pytest.approx(reference[name][pid], rel=1e-6, abs=1e-7), (name, pid)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query", QUERIES)
def test_anonymous_scores_equal_a_public_only_index(searcher, public_only, query, mode):
    seed, reference = response(searcher, query, mode), response(public_only, query, mode)
    assert [r["resource"]["id"] for r in seed["results"]] == \
        [r["resource"]["id"] for r in reference["results"]]
    assert [[p["id"] for p in r["passages"]] for r in seed["results"]] == \
        [[p["id"] for p in r["passages"]] for r in reference["results"]]
    assert (seed["confident"], seed["answer"]) == (reference["confident"], reference["answer"])
    seed_numbers, reference_numbers = numbers(seed), numbers(reference)
    assert seed_numbers.keys() == reference_numbers.keys()
    for where, value in seed_numbers.items():
        # Rounded to 4 decimals in the response: equal floats round the same way.
        assert value == pytest.approx(reference_numbers[where], abs=1e-4), where
    raw = {mode: searcher.search(query, k=50, mode=mode) for mode in MODES}
    ref = {mode: public_only.search(query, k=50, mode=mode) for mode in MODES}
    for mode_name, hits in raw.items():
        for a, b in zip(hits, ref[mode_name], strict=True):
            assert (a.score, a.dense, a.lexical) == pytest.approx((b.score, b.dense, b.lexical),
                                                                  rel=1e-6, abs=1e-7)


def test_members_still_score_with_every_passage(searcher):
    """The check can fire: with member statistics the pair differs, as it did for everyone."""
    member = Filters(member=True)
    miquel = run_search(searcher, "Miquel", mode="bm25", filters=member)
    cognard = run_search(searcher, "Cognard", mode="bm25", filters=member)
    shared = "event-formation-croisee-ess-politique-de-la-ville-a-nd"

    def score(body):
        return next(r.scores.lexical for r in body.results if r.resource.id == shared)

    assert score(miquel) != pytest.approx(score(cognard), abs=1e-3)


def test_members_feedback_terms_come_from_what_they_see(searcher):
    """The RM3 check can fire: a question the private newsletters answer lends members other
    feedback terms than the public, so the feedback BM25 of public passages differs."""
    query = "newsletter politique de la ville mars 2022"

    def feedback(member: bool) -> np.ndarray:
        filters = Filters(member=member)
        mask = searcher.allowed(filters)
        question = analyse(searcher, query)
        ranking = rank_hybrid(searcher, question, searcher.dense_scores(question.vector, mask),
                              searcher.lexical_scores(list(question.tokens), mask, member),
                              mask, member)
        return ranking.passage_signals["rm3"]

    public = searcher.allowed(Filters())
    assert not np.allclose(feedback(True)[public], feedback(False)[public])


def get(url: str, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


@pytest.mark.real_model
def test_miquel_and_cognard_score_the_same_over_http(live_server):
    def lexical(word: str, headers: dict[str, str] | None = None) -> list[tuple[str, float]]:
        body = get(f"{live_server}/api/search?q={urllib.parse.quote(word)}&mode=bm25", headers)
        return [(r["resource"]["id"], r["scores"]["lexical"], r["passages"][0]["score"])
                for r in body["results"]]

    miquel, cognard = lexical("Miquel"), lexical("Cognard")
    assert miquel and miquel == cognard
    assert not any(get(f"{live_server}/api/resources/{rid}").get("private")
                   for rid, *_ in miquel)
    member = {"Authorization": f"Bearer {MEMBER_TOKEN}"}
    assert lexical("Miquel", member) != lexical("Cognard", member)
