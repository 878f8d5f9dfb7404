"""A deterministic stand-in for the e5 model, for the fast test lane (`make test-fast`).

`FakeEmbedder` is `indexer.embed.Embedder` itself around `HashModel`, a model that reads
no file: a text's vector is the sum of one pseudo-random vector per word, each seeded
from a hash of the word, plus a smaller one seeded from the hash of the whole text,
normalised to unit length, 384 dimensions like multilingual-e5-small. So the same text
always gives the same vector, two texts that share words are close (dense retrieval
still ranks), and different texts never collide. Prompts, NFC, clipping and batching
go through the real Embedder's code; only the network is fake.

It proves nothing about quality: tests that judge what the model understands (paraphrases,
the confidence threshold, the quality gate) need the real model and stay out of the lane.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from indexer.embed import Embedder, EncodingSettings, ModelInfo

DIMENSION = 384
MAX_SEQ_LENGTH = 512
# The checksum a fake index's manifest records: no real model has it, so a real searcher
# refuses a fake index and the other way round.
FAKE_CHECKSUM = hashlib.sha256(b"rtes fake hash embedder, 384 dimensions").hexdigest()
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WHOLE_TEXT_WEIGHT = 0.3


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


@lru_cache(maxsize=65536)
def _unit(text: str) -> np.ndarray:
    vector = np.random.default_rng(_seed(text)).standard_normal(DIMENSION)
    return vector / np.linalg.norm(vector)


def hash_vector(text: str) -> np.ndarray:
    """The unit vector of `text`: its words' vectors summed, plus the whole text's."""
    total = _WHOLE_TEXT_WEIGHT * _unit(text)
    for word in re.findall(r"\w+", text.lower()):
        total = total + _unit(word)
    norm = np.linalg.norm(total)
    return (total / norm if norm else total).astype(np.float32)


class HashTokenizer:
    """Words and punctuation marks as tokens, between `<s>` and `</s>`, with their offsets:
    the part of a Hugging Face tokenizer that `Embedder.clip` calls."""

    def __call__(self, text: str, truncation: bool = False, max_length: int | None = None,
                 return_offsets_mapping: bool = False) -> dict[str, list[Any]]:
        spans = [m.span() for m in _TOKEN.finditer(text)]
        if truncation and max_length is not None:
            spans = spans[: max(max_length - 2, 0)]
        offsets = [(0, 0), *spans, (0, 0)]
        encoded: dict[str, list[Any]] = {"input_ids": list(range(len(offsets)))}
        if return_offsets_mapping:
            encoded["offset_mapping"] = offsets
        return encoded


class HashModel:
    """What `Embedder` calls on a SentenceTransformer: `encode`, `tokenizer`, the dimension."""

    max_seq_length = MAX_SEQ_LENGTH

    def __init__(self) -> None:
        self.tokenizer = HashTokenizer()

    def get_sentence_embedding_dimension(self) -> int:
        return DIMENSION

    def encode(self, texts: Sequence[str], batch_size: int = 32, show_progress_bar: bool = False,
               normalize_embeddings: bool = True, convert_to_numpy: bool = True) -> np.ndarray:
        del batch_size, show_progress_bar, normalize_embeddings, convert_to_numpy  # always unit
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([hash_vector(text) for text in texts])


FAKE_INFO = ModelInfo(spec="fake-hash-384", path="(none: tests/fake_embedder.py)",
                      checksum=FAKE_CHECKSUM)


class FakeEmbedder(Embedder):
    """`Embedder` around `HashModel`: the same interface, no model loaded."""

    def __init__(self, settings: EncodingSettings | None = None) -> None:
        super().__init__(HashModel(), FAKE_INFO, settings)  # type: ignore[arg-type]
