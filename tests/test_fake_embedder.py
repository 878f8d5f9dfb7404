"""The fast lane's fake embedder: deterministic unit vectors, the real Embedder's interface."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from fake_embedder import DIMENSION, FakeEmbedder, hash_vector

from indexer.embed import Embedder

pytestmark = pytest.mark.fast


def test_vectors_are_deterministic_unit_rows_of_384():
    embedder = FakeEmbedder()
    texts = ["garage solidaire à Poitiers", "épicerie solidaire"]
    first, again = embedder.encode_passages(texts), FakeEmbedder().encode_passages(texts)
    assert isinstance(embedder, Embedder) and embedder.dimension == DIMENSION == 384
    assert first.shape == (2, 384) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    assert embedder.encode_queries([]).shape == (0, 384)


def test_shared_words_are_closer_than_none():
    a, b, c = (hash_vector(t) for t in ("garage solidaire", "un garage associatif",
                                         "santé mentale des adolescents"))
    assert float(a @ b) > 0.3 > abs(float(a @ c))
    assert float(a @ hash_vector("garage solidaire")) == pytest.approx(1.0)


def test_prompts_and_nfc_go_through_the_real_embedder_code():
    embedder = FakeEmbedder()
    nfd = unicodedata.normalize("NFD", "Économie sociale")
    query, passage = embedder.encode_query(nfd), embedder.encode_passages([nfd])[0]
    np.testing.assert_array_equal(query, hash_vector("query: Économie sociale"))
    np.testing.assert_array_equal(passage, hash_vector("passage: Économie sociale"))


def test_clip_cuts_where_a_token_ends():
    embedder = FakeEmbedder()
    text = "un deux trois quatre cinq six"
    # <s>, "query", ":", then the words, then </s>: 8 tokens leave room for 4 words.
    assert embedder.clip(text, "query: ", 8) == "un deux trois quatre"
    assert embedder.clip("un deux", "query: ", 8) == "un deux"
