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
    # Drop the question-framing words from the lexical query (issue 17d); absent from the
    # versions built before it: off, as they were tuned.
    framing_words: bool = False

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
class SentenceModel:
    """A logistic regression choosing the answer sentence (issue 18 §1): one weight per
    feature of `search_service.sentence_features.FEATURES` (named, in order), on features
    standardised by `means` and `scales`; `fitted` says on what, when and how
    (`python -m eval.answer_study --fit`). No weights: today's hand score chooses."""

    features: tuple[str, ...] = ()
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    fitted: str = "not fitted: today's hand score chooses"


@dataclass(frozen=True)
class NoAnswerModel:
    """A logistic regression giving the probability that the visible corpus answers (issue
    18 §2), over `search_service.no_answer.NA_FEATURES` standardised by `means`, `scales`;
    below `threshold` the search is not confident. `fitted`: split, date, how
    (`python -m eval.no_answer_study --fit`). No weights: the old cosine difference."""

    features: tuple[str, ...] = ()
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    threshold: float = 0.5
    fitted: str = "not fitted: the cosine difference and confidence_threshold decide"


@dataclass(frozen=True)
class AnswerConfig:
    """The best answer sentence's cosine minus the question's cosine to the closest
    out-of-scope reference question must reach `confidence_threshold` (`eval calibrate`).
    Today's hand score picks among `answer_passages` passages of the first `answer_results`
    results; the learned `sentence_model`, when it has weights, among every passage of the
    first `candidate_results`. A version built before these two existed has neither: it
    is answered the way it was tuned, by the hand score."""

    confidence_threshold: float
    answer_passages: int
    answer_results: int
    candidate_results: int = 5
    sentence_model: SentenceModel = dataclasses.field(default_factory=SentenceModel)
    no_answer_model: NoAnswerModel = dataclasses.field(default_factory=NoAnswerModel)

    @property
    def decision_threshold(self) -> float:
        """What `confidence` is compared with: the no-answer model's threshold (a
        probability) when the version has one, else the old cosine-difference threshold."""
        if self.no_answer_model.weights and self.sentence_model.weights:
            return self.no_answer_model.threshold
        return self.confidence_threshold


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
_SECTIONS = {"RankingConfig": RankingConfig, "SentenceModel": SentenceModel,
             "NoAnswerModel": NoAnswerModel}
_SEQUENCES = {"tuple[str, ...]": str, "tuple[float, ...]": (int, float)}


def _section(cls: type, data: dict[str, Any], name: str, path: Path) -> Any:
    part = data.get(name)
    if not isinstance(part, dict):
        raise IndexLoadError(path, f"has no {name!r} section")
    unknown = sorted(set(part) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise IndexLoadError(path, f"unknown {name} settings {unknown}")
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in part and (f.default is not dataclasses.MISSING
                                   or f.default_factory is not dataclasses.MISSING):
            continue  # a field added later, absent from older versions: its default
        value = part.get(f.name)
        if str(f.type) in _SECTIONS:
            values[f.name] = _section(_SECTIONS[str(f.type)], part, f.name, path)
            continue
        if str(f.type) in _SEQUENCES:
            values[f.name] = _sequence(value, _SEQUENCES[str(f.type)], f"{name}.{f.name}", path)
            continue
        types = _TYPES[str(f.type)]
        if isinstance(value, bool) != (f.type == "bool") or not isinstance(value, types):
            raise IndexLoadError(path, f"{name}.{f.name} is {json.dumps(value)}, expected "
                                       f"{f.type}")
        values[f.name] = float(value) if f.type == "float" else value
    return cls(**values)


def _sequence(value: Any, types: Any, name: str, path: Path) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple) or any(isinstance(v, bool) or not isinstance(v, types)
                                          for v in value):
        raise IndexLoadError(path, f"{name} is {json.dumps(value)}, expected a list")
    return tuple(v if types is str else float(v) for v in value)


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
