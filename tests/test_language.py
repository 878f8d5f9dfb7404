"""The fast language detector answers exactly as the seeded `langdetect.detect`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from langdetect import DetectorFactory, LangDetectException, detect

from eval.data import default_eval_dir, load_question_set
from indexer.parse import parse_seeds
from search_service.language import detect_language

pytestmark = pytest.mark.fast


def langdetect_language(text: str) -> str | None:
    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None


@pytest.fixture(scope="module")
def texts(seeds_dir: Path) -> list[str]:
    questions = [q.text for q in load_question_set(default_eval_dir()).queries]
    resources = parse_seeds(seeds_dir).resources
    bodies = [r.title for r in resources] + [p.text for r in resources for p in r.paragraphs]
    odd = ["", "   ", "asdfghjkl", "123 456", "\u200b\u200b\u200b", "QPV", "ok", "SCIC CAE",
           "How do cities fund social enterprises?", "¿Cómo apoyar una tienda solidaria?",
           "https://www.rtes.fr contact@rtes.fr", "Сколько стоит", "ESS " * 300]
    return questions + bodies + odd


def test_every_question_and_seed_text_gets_langdetects_answer(texts: list[str]) -> None:
    differ = [t[:60] for t in texts if detect_language(t) != langdetect_language(t)]
    assert len(texts) > 400
    assert differ == []


def test_threads_detecting_at_once_agree(texts: list[str]) -> None:
    sample = texts[:80]
    expected = [langdetect_language(t) for t in sample]
    found: list[list[str | None]] = []

    def work() -> None:
        found.append([detect_language(t) for t in reversed(sample)][::-1])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [expected] * 4


def test_threads_that_detect_before_the_profiles_are_loaded_all_get_an_answer() -> None:
    """langdetect publishes its factory before the profiles are in it; a thread arriving
    then got « Need to load profiles » (a 500 under concurrency, seen at 8 clients)."""
    from langdetect import detector_factory

    from search_service import language

    language._factory.cache_clear()
    detector_factory._factory = None
    start = threading.Barrier(8)
    found: list[str | None] = []
    failed: list[BaseException] = []

    def work() -> None:
        start.wait()
        try:
            found.append(detect_language("Comment une collectivité soutient une épicerie"))
        except BaseException as exc:  # noqa: BLE001 - the test collects what went wrong
            failed.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and found == ["fr"] * 8
