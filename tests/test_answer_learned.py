"""Issue 18 §1–2 on the real seed index: the learned sentence choice quotes the sentence that
holds a factual question's span (marked, with its source); with the calibrated no-answer model
(fitted on dev, `eval/no_answer_model.json`, not yet in the shipped configuration: see
eval/README « Issue 18c ») confidence is a probability in [0, 1] in every mode; the
statistics behind both are the caller's visibility's; the old RTES_CONFIDENCE_THRESHOLD is
refused at start-up."""

import dataclasses
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from indexer.search_config import DEFAULT_CONFIG, NoAnswerModel, SearchConfig, _section
from indexer.settings import Settings
from indexer.visibility import MEMBER, PUBLIC
from search_service.answer_choice import stats_of
from search_service.pipeline import run_search
from search_service.retrieval import Filters

# A dev factual question (q083) and its gold span, on line 1 of its passage's source.
NA_MODEL = Path(__file__).parents[1] / "eval" / "no_answer_model.json"
SOCIOLOGUE = "Quel sociologue a mené la recherche-action sur la mécanique de rue à Stains ?"


@pytest.mark.slow
def test_a_factual_question_quotes_the_sentence_holding_its_span(searcher):
    result = run_search(searcher, SOCIOLOGUE)
    assert result.confident and result.answer is not None
    assert "Abou Ndiaye, sociologue" in result.answer.text
    assert "<mark>Abou Ndiaye</mark>" in result.answer.highlight
    source = result.answer.source
    assert source.file and source.start_line <= source.end_line


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("query", [SOCIOLOGUE, "asdfghjkl", "Combien coûte un passeport ?",
                                   "le restaurant social Balanzan à Vitry-sur-Seine"])
def test_confidence_is_a_probability_in_every_mode(searcher, mode, query):
    model = _section(NoAnswerModel, json.loads(NA_MODEL.read_text("utf-8")), "no_answer_model",
                     NA_MODEL)
    config = dataclasses.replace(searcher.answer_config, no_answer_model=model)
    result = run_search(searcher, query, mode=mode, config=config)
    assert 0.0 <= result.confidence <= 1.0
    assert result.confident == (result.confidence >= config.decision_threshold)
    if query == "asdfghjkl":
        assert not result.confident and result.answer is None


@pytest.mark.slow
def test_the_sentence_statistics_are_those_of_the_callers_visibility(searcher):
    """A word only a private newsletter uses counts in no anonymous statistic."""
    stats = stats_of(searcher)
    public, member = stats.per[PUBLIC], stats.per[MEMBER]
    (term,) = searcher.analyzer.tokens("Balanzan")
    assert term not in public.sentence_df and term not in public.passage_idf
    assert member.sentence_df.get(term, 0) >= 1 and term in member.passage_idf
    private = [i for i, p in enumerate(searcher.data.passages)
               if searcher.resources[p["resource_id"]]["private"]]
    assert public.passages == member.passages - len(private)
    assert public.sentences == sum(1 for r in searcher.data.sentences
                                   if r["passage"] not in set(private))


@pytest.mark.fast
def test_the_old_threshold_setting_is_refused_with_what_replaced_it(monkeypatch):
    monkeypatch.setenv("RTES_CONFIDENCE_THRESHOLD", "-0.013")
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "RTES_CONFIDENCE_THRESHOLD" in message and "answer.no_answer_model.threshold" in message


@pytest.mark.fast
def test_the_fitted_models_say_where_they_come_from():
    config = SearchConfig.from_dict(json.loads(DEFAULT_CONFIG.read_text("utf-8")), DEFAULT_CONFIG)
    assert config.answer.sentence_model.weights
    assert config.answer.sentence_model.fitted.startswith("dev,")
    model = _section(NoAnswerModel, json.loads(NA_MODEL.read_text("utf-8")), "no_answer_model",
                     NA_MODEL)
    assert model.weights and model.fitted.startswith("dev,") and 0.0 < model.threshold < 1.0


@pytest.mark.fast
def test_a_version_built_before_the_models_keeps_the_hand_score(tmp_path):
    raw = json.loads(DEFAULT_CONFIG.read_text("utf-8"))
    for key in ("candidate_results", "sentence_model"):
        raw["answer"].pop(key)
    config = SearchConfig.from_dict(raw, tmp_path / "config.json")
    assert not config.answer.sentence_model.weights
    assert config.answer.decision_threshold == config.answer.confidence_threshold


@pytest.mark.slow
def test_members_are_answered_about_what_only_they_may_see(searcher):
    query = "le restaurant social Balanzan à Vitry-sur-Seine"
    anonymous = run_search(searcher, query)
    member = run_search(searcher, query, filters=Filters(member=True))
    assert not anonymous.confident and anonymous.answer is None
    assert member.confident and member.answer is not None
    assert "Balanzan" in member.answer.text
