"""How a version is searched and answered: tuned parameters, in one file per index version.

The defaults live in `indexer/data/search_config.json` (their one home: tuned on dev, see
eval/README.md); `indexer build` copies them (or `--config FILE`) into the version as
`config.json`, and the manifest records its name and checksum. The service and `eval` read
them from the version they open, so an index is always searched the way it was tuned.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import IndexLoadError
from indexer.manifest import ConfigSection

CONFIG_FILE = "config.json"
DEFAULT_CONFIG = Path(__file__).parent / "data" / "search_config.json"


@dataclass(frozen=True)
class RankingConfig:
    """The hybrid ranking's tuned constants (issue 17; the steps: `search_service.ranking`);
    0 for a weight switches its signal off."""

    adaptive: bool
    dense_weight_low: float
    dense_weight_high: float
    coverage_low: float
    coverage_high: float
    ngram_share: float
    resource_mix: float
    resource_bonus: float
    hierarchy: float
    lexicon_weight: float
    lexicon_full: float
    lexicon_off: float
    rm3_weight: float
    rm3_depth: int
    rm3_terms: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> RankingConfig:
        try:
            return _section(cls, {"ranking": data}, "ranking", Path("ranking"))
        except IndexLoadError as exc:
            raise ValueError(str(exc)) from exc

    def replace(self, **changes: Any) -> RankingConfig:
        return RankingConfig.from_dict({**self.to_dict(), **changes})


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion and candidate counts. The last two bound the work of one request (README,
    "Cost of one query"): the model encodes at most `max_query_tokens` tokens of the question,
    and BM25, the name bonus and the highlights use its first `max_query_terms` terms."""

    fusion: str  # "weighted" or "rrf"
    dense_weight: float
    candidates: int
    passages_per_resource: int
    name_boost: float
    max_query_tokens: int
    max_query_terms: int
    ranking: RankingConfig


@dataclass(frozen=True)
class AnswerConfig:
    """The best answer sentence's cosine minus the question's cosine to the closest
    out-of-scope reference question must reach `confidence_threshold` (`eval calibrate`)."""

    confidence_threshold: float
    answer_passages: int
    answer_results: int


@dataclass(frozen=True)
class SearchConfig:
    retrieval: RetrievalConfig
    answer: AnswerConfig

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, path: Path) -> SearchConfig:
        """Every field present and of its type; an error names `path` and the field."""
        if not isinstance(data, dict):
            raise IndexLoadError(path, "is not a JSON object")
        return cls(retrieval=_section(RetrievalConfig, data, "retrieval", path),
                   answer=_section(AnswerConfig, data, "answer", path))

    def replace(self, **retrieval: Any) -> SearchConfig:
        """A copy with some retrieval parameters changed (eval compares alternatives)."""
        return dataclasses.replace(self, retrieval=dataclasses.replace(self.retrieval,
                                                                       **retrieval))


_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float),
                                       "bool": (bool,)}
_SECTIONS = {"RankingConfig": RankingConfig}


def _section(cls: type, data: dict[str, Any], name: str, path: Path) -> Any:
    part = data.get(name)
    if not isinstance(part, dict):
        raise IndexLoadError(path, f"has no {name!r} section")
    unknown = sorted(set(part) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise IndexLoadError(path, f"unknown {name} settings {unknown}")
    values = {}
    for f in dataclasses.fields(cls):
        value = part.get(f.name)
        if str(f.type) in _SECTIONS:
            values[f.name] = _section(_SECTIONS[str(f.type)], part, f.name, path)
            continue
        types = _TYPES[str(f.type)]
        if isinstance(value, bool) != (f.type == "bool") or not isinstance(value, types):
            raise IndexLoadError(path, f"{name}.{f.name} is {json.dumps(value)}, expected "
                                       f"{f.type}")
        values[f.name] = float(value) if f.type == "float" else value
    return cls(**values)


def config_text(config: SearchConfig) -> str:
    return json.dumps(config.to_dict(), ensure_ascii=False, indent=2) + "\n"


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_section(config: SearchConfig) -> ConfigSection:
    """What the manifest records of the version's configuration file."""
    return ConfigSection(CONFIG_FILE, checksum(config_text(config)))


def read_config(path: Path, expected_sha256: str | None = None) -> SearchConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise IndexLoadError(path, "is missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexLoadError(path, f"cannot be read ({exc})") from exc
    if expected_sha256 is not None and checksum(text) != expected_sha256:
        raise IndexLoadError(path, "differs from the checksum its manifest records (edited "
                                   "after the build?): rebuild the index")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IndexLoadError(path, f"is not valid JSON ({exc})") from exc
    return SearchConfig.from_dict(data, path)


def default_config() -> SearchConfig:
    return read_config(DEFAULT_CONFIG)
