"""The e5 tokenizer as a SentencePiece model: the same token ids in a fifth of the memory.

`tokenizers`' Unigram model of XLM-R's 250,002 pieces keeps ~270 MB resident (a trie of
characters); SentencePiece's double array of the same pieces ~50 MB. The model file is
derived data, written once beside the int8 encoder from the converted model's
`tokenizer.json`: the pieces in id order with their scores, the same precompiled
normalisation, `<s>`/`<pad>`/`</s>` as control pieces and `<unk>` as the unknown one, so the
ids are those of `tokenizers`. What `tokenizers` does around the model is done here: the
special tokens typed in a text are matched first, a trailing « ▁ » is kept when a segment's
normalised text ends with a space, and the ids are truncated to `max_length` with `<s>` and
`</s>`. tests/test_spm_tokenizer.py compares ids and offsets on every text the seed
index encodes and every question.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPM_FILE = "tokenizer.spm"
_SPECIAL = {"<s>": "CONTROL", "<pad>": "CONTROL", "</s>": "CONTROL", "<unk>": "UNKNOWN",
            "<mask>": "USER_DEFINED"}


def spm_model_bytes(tokenizer_json: Path) -> bytes:
    """A SentencePiece Unigram model with the pieces, scores and normalisation of
    `tokenizer_json` (an XLM-R fast-tokenizer file)."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    charsmap = next(n["precompiled_charsmap"] for n in spec["normalizer"]["normalizers"]
                    if n["type"] == "Precompiled")
    model = pb.ModelProto()
    model.normalizer_spec.name = "nmt_nfkc"
    model.normalizer_spec.precompiled_charsmap = base64.b64decode(charsmap)
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = True
    model.normalizer_spec.escape_whitespaces = True
    trainer = model.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM
    trainer.bos_id, trainer.pad_id, trainer.eos_id, trainer.unk_id = 0, 1, 2, 3
    trainer.vocab_size = len(spec["model"]["vocab"])
    for piece, score in spec["model"]["vocab"]:
        entry = model.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = getattr(pb.ModelProto.SentencePiece, _SPECIAL.get(piece, "NORMAL"))
    return model.SerializeToString()


def ensure_spm_model(model_dir: Path) -> Path:
    """`model_dir/tokenizer.spm`, written (atomically) from its tokenizer.json if missing or
    older than it."""
    path, source = model_dir / SPM_FILE, model_dir / "tokenizer.json"
    if path.is_file() and path.stat().st_mtime >= source.stat().st_mtime:
        return path
    data = spm_model_bytes(source)
    with tempfile.NamedTemporaryFile(dir=model_dir, prefix=".spm-", delete=False) as out:
        out.write(data)
    os.replace(out.name, path)
    return path


@dataclass(frozen=True)
class Encoding:
    """What the encoder reads of a tokenized text (as `tokenizers.Encoding`)."""

    ids: list[int]
    offsets: list[tuple[int, int]]


class SpmTokenizer:
    """`tokenizers.Tokenizer`'s interface as the int8 encoder uses it, on SentencePiece."""

    def __init__(self, model_file: Path, max_length: int = 512) -> None:
        import sentencepiece

        self._sp: Any = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self._normalizer: Any = sentencepiece.SentencePieceNormalizer(
            model_file=str(model_file), add_dummy_prefix=False,
            remove_extra_whitespaces=False, escape_whitespaces=False)
        self.max_length = max_length
        self._space = self._sp.piece_to_id("▁")
        self._specials = re.compile("|".join(re.escape(t) for t in _SPECIAL))

    def token_to_id(self, piece: str) -> int | None:
        found = self._sp.piece_to_id(piece)
        return None if found == self._sp.unk_id() and piece != "<unk>" else found

    def encode(self, text: str) -> Encoding:
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        start = 0
        for found in self._specials.finditer(text):  # as tokenizers' added tokens
            self._encode_segment(text[start:found.start()], start, ids, offsets)
            ids.append(self._sp.piece_to_id(found.group()))
            offsets.append(found.span())
            start = found.end()
        self._encode_segment(text[start:], start, ids, offsets)
        keep = self.max_length - 2
        return Encoding([self._sp.bos_id(), *ids[:keep], self._sp.eos_id()],
                        [(0, 0), *offsets[:keep], (0, 0)])

    def _encode_segment(self, text: str, shift: int, ids: list[int],
                        offsets: list[tuple[int, int]]) -> None:
        if not text:
            return
        char_at = _char_index(text)
        for p in self._sp.encode(text, return_type="proto").pieces:
            ids.append(p.id)
            begin, end = _offsets(char_at[p.begin], char_at[p.end], p.surface, len(text))
            offsets.append((begin + shift, end + shift))
        if self._normalizer.normalize(text).endswith(" "):  # tokenizers keeps a final « ▁ »
            ids.append(self._space)
            offsets.append((shift + max(len(text) - 1, 0), shift + len(text)))

    def encode_batch(self, texts: list[str]) -> list[Encoding]:
        return [self.encode(t) for t in texts]


def _offsets(begin: int, end: int, surface: str, length: int) -> tuple[int, int]:
    """`tokenizers`' character span of a piece: from the one space that became its « ▁ »
    (not the spaces collapsed before it); the lone « ▁ » of the dummy prefix spans the
    first character after it."""
    if not surface:
        return begin, min(begin + 1, length)
    spaces = len(surface) - len(surface.lstrip())
    return begin + max(spaces - 1, 0), end


def _char_index(text: str) -> list[int]:
    """For each UTF-8 byte offset of `text` (and the end), the character it belongs to."""
    index: list[int] = []
    for n, ch in enumerate(text):
        index.extend([n] * len(ch.encode("utf-8")))
    index.append(len(text))
    return index
