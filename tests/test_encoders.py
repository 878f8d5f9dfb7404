"""The int8 ONNX encoder against float32, the manifest's encoder check, the caches.

Real model, real seeds: the int8 encoder is built once into the model cache
(`indexer.onnx_encoder.ensure_int8_model`), like the converted model itself.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval.data import default_eval_dir, load_question_set
from indexer.encoders import encoder_section, require_kind
from indexer.errors import IndexLoadError
from indexer.onnx_encoder import INT8_KIND, ONNX_FILE, OnnxEncoder, load_onnx_encoder
from indexer.settings import child_environment
from search_service.caches import QueryVectorCache, detect_language
from search_service.language import detect_language as uncached_language

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def int8(embedder, e5_model_dir: Path) -> OnnxEncoder:
    return load_onnx_encoder(e5_model_dir, embedder.info)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [q.text for q in load_question_set(default_eval_dir()).split("dev").queries][:40]


@pytest.fixture(scope="module")
def int8_index(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, int8) -> Path:
    from indexer.build import build_index

    index_dir = tmp_path_factory.mktemp("int8-index")
    build_index(seeds_dir, index_dir, int8, progress=False)
    return index_dir


def test_int8_query_vectors_are_close_to_float32_ones(embedder, int8, questions) -> None:
    reference = embedder.encode_queries(questions)
    vectors = int8.encode_queries(questions)
    cosines = (reference * vectors).sum(axis=1)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosines.min() > 0.98, cosines.min()
    # a text's vector does not depend on the texts encoded with it
    assert np.array_equal(int8.encode_query(questions[3]), vectors[3])
    assert np.array_equal(int8.encode_passages(questions[2:5])[1],
                          int8.encode_passages([questions[3]])[0])


def test_int8_tokenizes_and_clips_as_the_float32_model(embedder, int8, questions) -> None:
    long = " ".join(questions)
    for text in (*questions[:5], long):
        ids = embedder.model.tokenizer("query: " + text, truncation=True,
                                       max_length=512)["input_ids"]
        assert int8.tokenizer.encode("query: " + text).ids == ids
        for limit in (8, 16, 64):
            assert int8.clip(text, "query: ", limit) == embedder.clip(text, "query: ", limit)


def test_the_manifest_records_the_encoder(int8_index: Path, seed_index: Path, int8) -> None:
    from indexer.model_checksums import sha256_file
    from indexer.opening import open_version

    built = open_version(int8_index).manifest.encoder
    assert built is not None and built.kind == INT8_KIND
    onnx_sha = sha256_file(int8.onnx_dir / ONNX_FILE)
    assert built.checksum == onnx_sha == encoder_section(int8).checksum
    assert open_version(seed_index).manifest.encoder.kind == "float32"


def test_an_index_is_refused_by_a_service_with_the_other_encoder(
        seed_index: Path, int8_index: Path, embedder, int8) -> None:
    from search_service.loading import load_searcher

    with pytest.raises(IndexLoadError, match=r"manifest\.json.*float32 encoder.*int8-onnx"):
        load_searcher(seed_index, embedder=int8)
    with pytest.raises(IndexLoadError, match=r"manifest\.json.*int8-onnx encoder.*float32"):
        load_searcher(int8_index, embedder=embedder)
    with pytest.raises(IndexLoadError, match="RTES_ENCODER=int8"):
        load_searcher(seed_index, encoder="int8")  # refused before any model loads


def test_the_service_refuses_to_start_with_the_other_encoder(seed_index: Path) -> None:
    env = child_environment({"RTES_ENCODER": "int8", "RTES_INDEX_DIR": str(seed_index)})
    done = subprocess.run([sys.executable, "-m", "search_service"], env=env, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "manifest.json" in done.stderr and "built with the float32 encoder" in done.stderr


def test_int8_index_searches_with_int8(int8_index: Path, int8) -> None:
    from search_service.loading import load_searcher
    from search_service.pipeline import run_search

    searcher = load_searcher(int8_index, embedder=int8, query_cache=8)
    response = run_search(searcher, "une épicerie solidaire soutenue par la commune")
    assert response.results and response.language == "fr"
    require_kind(searcher.data, "int8")


def test_the_query_cache_returns_the_same_vector_and_counts_hits(embedder, questions) -> None:
    cache = QueryVectorCache(embedder, size=2)
    first = cache.encode_query(questions[0], max_tokens=64)
    assert np.array_equal(first, embedder.encode_query(questions[0], max_tokens=64))
    assert cache.encode_query(questions[0], max_tokens=64) is first
    assert cache.stats() == {"hits": 1, "misses": 1, "size": 1, "max_size": 2}
    cache.encode_query(questions[1])
    cache.encode_query(questions[2])  # evicts the least recently used: questions[0]
    assert cache.stats()["size"] == 2
    cache.encode_query(questions[0], max_tokens=64)
    assert cache.stats()["misses"] == 4 and cache.dimension == embedder.dimension


def test_cached_searches_answer_as_uncached_ones(seed_index: Path, embedder, questions) -> None:
    from search_service.loading import load_searcher
    from search_service.pipeline import run_search

    plain = load_searcher(seed_index, embedder=embedder)
    cached = load_searcher(seed_index, embedder=embedder, query_cache=16)
    for text in questions[:4]:
        expected = replace(run_search(plain, text), took_ms=0.0)
        for _ in range(2):
            assert replace(run_search(cached, text), took_ms=0.0) == expected
    assert cached.embedder.stats()["hits"] >= 4


def test_the_language_cache_answers_as_the_detector(questions) -> None:
    before = detect_language.cache_info()
    for text in (*questions[:5], *questions[:5], "How do cities fund social enterprises?"):
        assert detect_language(text) == uncached_language(text)
    after = detect_language.cache_info()
    assert after.hits - before.hits >= 5


def test_the_split_query_encoding_is_encode_query(int8, questions) -> None:
    """`query_run` (tokenized here, the model run elsewhere) gives encode_query's vector."""
    for text in questions[:20]:
        for max_tokens in (None, 64, 8):
            assert np.array_equal(int8.query_run(text, max_tokens)(),
                                  int8.encode_query(text, max_tokens=max_tokens))


def test_encode_soon_runs_on_the_pool_and_through_the_cache(int8, embedder, questions
                                                            ) -> None:
    import threading

    from search_service.encoding import encode_soon

    seen: list[str] = []
    real_run = int8._run

    def spy(ids):  # where the model runs
        seen.append(threading.current_thread().name)
        return real_run(ids)

    int8._run = spy
    try:
        vector = encode_soon(int8, questions[0], 64).result()
    finally:
        del int8._run
    assert np.array_equal(vector, int8.encode_query(questions[0], max_tokens=64))
    assert seen and seen[0].startswith("encode")  # the pool's thread, not this one
    cache = QueryVectorCache(int8, size=4)
    first = encode_soon(cache, questions[1], 64).result()
    again = encode_soon(cache, questions[1], 64)
    assert again.done() and again.result() is first  # a hit needs no thread
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 1
    # an encoder that cannot split its work is called on this thread
    assert encode_soon(embedder, questions[2], 64).done()


def test_overlapped_searches_answer_as_sequential_ones(int8_index: Path, questions,
                                                       monkeypatch) -> None:
    """The encoding beside the lexical work changes nothing in any result, in one thread,
    eight at once, or awaited on an event loop eight at once (the HTTP route's way); the
    service's session runs on one intra-op thread."""
    from concurrent.futures import Future, ThreadPoolExecutor

    import search_service.retrieval as retrieval
    from search_service.loading import QUERY_THREADS, load_searcher
    from search_service.pipeline import run_search, run_search_async

    searcher = load_searcher(int8_index)  # the encoder as the service loads it
    assert searcher.embedder.session.get_session_options().intra_op_num_threads \
        == QUERY_THREADS == 1
    texts = questions[:12]
    overlapped = [replace(run_search(searcher, t), took_ms=0.0) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: replace(run_search(searcher, t), took_ms=0.0),
                                 texts))

    def inline(embedder, text, max_tokens):
        done = Future()
        done.set_result(embedder.encode_query(text, max_tokens=max_tokens))
        return done

    async def on_a_loop() -> list:
        # As the HTTP route does: the search's steps awaited on the event loop, eight at once.
        found = await asyncio.gather(*(run_search_async(searcher, t) for t in texts))
        return [replace(r, took_ms=0.0) for r in found]

    awaited = asyncio.run(on_a_loop())
    monkeypatch.setattr(retrieval, "encode_soon", inline)
    sequential = [replace(run_search(searcher, t), took_ms=0.0) for t in texts]
    assert overlapped == sequential and together == sequential and awaited == sequential
