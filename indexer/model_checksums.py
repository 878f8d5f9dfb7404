"""Checksums of a converted model directory: the files that decide the vectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from indexer.errors import ModelError

# Bump when the converted layout changes: older cached builds are then rebuilt.
CONVERTER_FORMAT = 1
CHECKSUM_FILE = "checksum.json"
# Files that decide the vectors, relative to a sentence-transformers directory.
DECISIVE_FILES = (
    "config.json",
    "model.safetensors",
    "pytorch_model.bin",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentencepiece.bpe.model",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def present_files(model_dir: Path) -> list[str]:
    return [name for name in DECISIVE_FILES if (model_dir / name).is_file()]


def combine_checksums(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\n".encode())
    return digest.hexdigest()


def model_checksum(model_dir: Path) -> str:
    """A sha256 over the files that decide the vectors (weights, configs, tokenizer)."""
    names = present_files(Path(model_dir))
    if not names:
        raise ModelError(f"{model_dir}: no model files to checksum")
    return combine_checksums({name: sha256_file(Path(model_dir) / name) for name in names})


def verify_model_dir(model_dir: Path) -> None:
    """Raise ModelError naming the first file that differs from `checksum.json`."""
    record_path = model_dir / CHECKSUM_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        files: dict[str, str] = record["files"]
        fmt = record["format"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{record_path}: missing or unreadable checksum record") from exc
    if fmt != CONVERTER_FORMAT:
        raise ModelError(f"{record_path}: built by converter format {fmt}, "
                         f"this code writes {CONVERTER_FORMAT}")
    if set(files) != set(present_files(model_dir)):
        raise ModelError(f"{model_dir}: files differ from {record_path}")
    for name, expected in files.items():
        if sha256_file(model_dir / name) != expected:
            raise ModelError(f"{model_dir / name}: checksum differs from {record_path}")
