"""The index manifest: one typed owner for everything a version was built with.

`Manifest.to_dict` writes `manifest.json`; `Manifest.from_dict` reads it back, checking every
section and field, and refuses another format version with « rebuild the index ». Nothing a
version was built with is re-derived from defaults at query time.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.errors import IndexLoadError

# 2: BM25 per visibility. 3: typed manifest, lexical section nested, a config file per version.
FORMAT_VERSION = 3


@dataclass(frozen=True)
class ModelSection:
    spec: str
    path: str
    checksum: str
    dimension: int


@dataclass(frozen=True)
class EncodingSection:
    query_prompt: str
    passage_prompt: str
    normalize: bool
    unicode_form: str
    header_format: str


@dataclass(frozen=True)
class ChunkingSection:
    unit: str
    min_words: int
    max_words: int


@dataclass(frozen=True)
class FaissSection:
    type: str
    metric: str = "inner_product"
    id_map: str = "IndexIDMap2"
    flat_limit: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128


@dataclass(frozen=True)
class BM25Section:
    k1: float
    b: float
    method: str


@dataclass(frozen=True)
class LexicalSection:
    """The analyzer's settings, and per visibility the BM25 directory and its document count."""

    analyzer: dict[str, Any]
    bm25: BM25Section
    text: str
    directories: dict[str, str]
    documents: dict[str, int]


@dataclass(frozen=True)
class SentencesSection:
    count: int
    prompt: str
    header: bool


@dataclass(frozen=True)
class CorpusSection:
    hash: str
    resources: int
    passages: int
    private: int


@dataclass(frozen=True)
class ConfigSection:
    """The version's search configuration file (`indexer.search_config`) and its checksum."""

    file: str
    sha256: str


@dataclass(frozen=True)
class EncoderSection:
    """Which encoder made the vectors (`indexer.encoders`): float32 or int8-onnx, and the
    checksum of what ran (the converted model, or the ONNX file)."""

    kind: str
    checksum: str


@dataclass(frozen=True)
class Manifest:
    built_at: str
    model: ModelSection
    encoding: EncodingSection
    chunking: ChunkingSection
    faiss: FaissSection
    lexical: LexicalSection | None
    sentences: SentencesSection | None
    corpus: CorpusSection
    config: ConfigSection
    # Issue 17's ranking files, checked by their loaders (`indexer.ngrams`,
    # `indexer.resource_vectors`): the edge n-gram BM25 per visibility, the resource vectors.
    ngram_lexical: dict[str, Any] | None = None
    resource_vectors: dict[str, Any] | None = None
    libraries: dict[str, str] = field(default_factory=dict)
    build_seconds: float | None = None
    encoder: EncoderSection | None = None  # None: built before the section, float32
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, path: Path) -> Manifest:
        """The manifest of `path`; any problem is an `IndexLoadError` naming it."""
        if not isinstance(data, dict):
            raise IndexLoadError(path, "is not a JSON object")
        seen = data.get("format_version")
        if seen != FORMAT_VERSION:
            raise IndexLoadError(path, f"format version {seen!r}, this code reads "
                                       f"{FORMAT_VERSION}: rebuild the index")
        return _build(cls, data, path, "")

    def replace(self, **changes: Any) -> Manifest:
        return dataclasses.replace(self, **changes)


def _build(cls: type, data: dict[str, Any], path: Path, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        name = f"{where}{f.name}"
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise IndexLoadError(path, f"has no field {name!r}: rebuild the index")
            continue
        values[f.name] = _value(hints[f.name], data[f.name], path, name)
    return cls(**values)


def _value(hint: Any, value: Any, path: Path, name: str) -> Any:
    """`value` checked against a field's type: a section, a scalar, a dict, or None."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in options:
        return None
    kind = next(t for t in options if t is not type(None))
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise IndexLoadError(path, f"section {name!r} is not a JSON object")
        return _build(kind, value, path, f"{name}.")
    origin = typing.get_origin(kind) or kind
    ok = isinstance(value, origin) and not (isinstance(value, bool) and origin is not bool)
    if origin is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise IndexLoadError(path, f"field {name!r} is {str(value)[:60]!r}, expected "
                                   f"{getattr(origin, '__name__', origin)}")
    if origin is dict:
        key_type, value_type = typing.get_args(kind) or (str, Any)
        if value_type is not Any and not all(
                isinstance(v, value_type) and not isinstance(v, bool) for v in value.values()):
            raise IndexLoadError(path, f"field {name!r} holds values that are not "
                                       f"{value_type.__name__}")
    return value
