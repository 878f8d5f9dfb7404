"""multilingual-e5-small exported to ONNX and quantized to int8, run by ONNX Runtime.

The int8 model is derived data, like the converted model it comes from: built once (torch's
ONNX export of the converted model, then ONNX Runtime's dynamic int8 quantization) into a
directory beside it in the model cache, and verified against the checksums written there.
Nothing is downloaded. `OnnxEncoder` has `indexer.embed.Embedder`'s interface: the same
prompts, NFC, clipping, mean pooling over the attention mask and L2 normalisation, and it
imports neither torch nor transformers (only the build does). It encodes one text per run,
so a text's vector never depends on the texts beside it (and `indexer update` reuses
exactly the vectors a full build would make).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import EncodingSettings, ModelInfo
from indexer.errors import ModelError
from indexer.model_checksums import sha256_file

log = logging.getLogger(__name__)

INT8_KIND = "int8-onnx"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
RECORD_FILE = "checksum.json"
# Bump when the export or the quantization changes: older cached builds are then rebuilt.
ONNX_FORMAT = 2  # 2: per-channel weight scales (mean cosine to float32 0.997, was 0.990)
OPSET = 17


def int8_model_dir(model_dir: Path) -> Path:
    """Where the int8 ONNX build of the converted model at `model_dir` lives."""
    return model_dir.with_name(f"{model_dir.name}-{INT8_KIND}")


def _record(onnx_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((onnx_dir / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def cached_model(onnx_dir: Path, fmt: int, source_checksum: str) -> bool:
    """Whether `onnx_dir` holds a build of format `fmt` from the source model
    `source_checksum` whose model file still has its recorded checksum."""
    record = _record(onnx_dir)
    if record is None or record.get("format") != fmt \
            or record.get("source_checksum") != source_checksum:
        return False
    if (onnx_dir / ONNX_FILE).is_file() and \
            sha256_file(onnx_dir / ONNX_FILE) == record.get("onnx_sha256"):
        return True
    log.warning("%s: checksum differs from %s; rebuilding it", onnx_dir / ONNX_FILE,
                onnx_dir / RECORD_FILE)
    return False


def ensure_int8_model(model_dir: Path, source_checksum: str) -> Path:
    """The int8 build of `model_dir` (whose checksum is `source_checksum`), built if missing,
    stale (another source model or format) or altered (its file checksum differs)."""
    onnx_dir = int8_model_dir(model_dir)
    if cached_model(onnx_dir, ONNX_FORMAT, source_checksum):
        return onnx_dir
    return build_int8_model(model_dir, source_checksum)


def build_int8_model(model_dir: Path, source_checksum: str) -> Path:
    """Export the converted model to ONNX, quantize it to int8, write it beside the model."""
    onnx_dir = int8_model_dir(model_dir)
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=onnx_dir.parent) as tmp:
        work = Path(tmp)
        _export(model_dir, work / "float32.onnx")
        from onnxruntime.quantization import QuantType, quantize_dynamic

        root, level = logging.getLogger(), logging.getLogger().level
        root.setLevel(logging.ERROR)  # its advice to pre-process, printed at every build
        try:
            quantize_dynamic(str(work / "float32.onnx"), str(work / ONNX_FILE),
                             weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        (work / "float32.onnx").unlink()
        install(work, onnx_dir, model_dir, {"format": ONNX_FORMAT, "kind": INT8_KIND,
                                            "source_checksum": source_checksum})
    log.info("built the int8 ONNX encoder in %s", onnx_dir)
    return onnx_dir


def install(work: Path, onnx_dir: Path, model_dir: Path, record: dict[str, Any]) -> None:
    """Move the build in `work` (its ONNX_FILE written) to `onnx_dir`, with the tokenizer
    files of `model_dir` and `record` plus the model file's checksum as RECORD_FILE."""
    shutil.copy2(model_dir / TOKENIZER_FILE, work / TOKENIZER_FILE)
    shutil.copy2(model_dir / "sentence_bert_config.json", work / "sentence_bert_config.json")
    record = {**record, "onnx_sha256": sha256_file(work / ONNX_FILE), "opset": OPSET}
    (work / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    final = work.with_name(f".{onnx_dir.name}.new")
    shutil.rmtree(final, ignore_errors=True)
    work.chmod(0o755)
    work.rename(final)
    shutil.rmtree(onnx_dir, ignore_errors=True)
    final.rename(onnx_dir)
    work.mkdir()  # TemporaryDirectory removes its own path on exit


def _export(model_dir: Path, out: Path) -> None:
    """torch's ONNX export (TorchScript route) of the transformer: ids, mask → hidden states."""
    import warnings

    import torch

    from indexer.model import load_sentence_transformer

    transformer = load_sentence_transformer(model_dir)[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask
                              ).last_hidden_state

    ids = torch.tensor([[0, 1000, 2000, 3000, 2], [0, 1500, 2500, 2, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(transformer), (ids, mask), str(out),
                          input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "last_hidden_state": axes},
                          opset_version=OPSET, dynamo=False)


@dataclass(frozen=True)
class EncoderInfo:
    """Which encoder made the vectors: recorded in the manifest's `encoder` section."""

    kind: str
    checksum: str


class OnnxEncoder:
    """An ONNX model (int8, or q4: `indexer.q4_onnx`) plus the settings that say how to call
    it (Embedder's interface)."""

    def __init__(self, onnx_dir: Path, info: ModelInfo,
                 settings: EncodingSettings | None = None, session: Any = None,
                 tokenizer: Any = None, checksum: str | None = None, threads: int = 0) -> None:
        self.onnx_dir = Path(onnx_dir)
        self.info = info
        self.settings = settings or EncodingSettings()
        record = _record(self.onnx_dir) or {}
        self.encoder = EncoderInfo(record.get("kind", INT8_KIND),
                                   checksum or record.get("onnx_sha256", ""))
        self.session = (session if session is not None
                        else _session(self.onnx_dir / ONNX_FILE, threads))
        self.tokenizer = tokenizer if tokenizer is not None else _tokenizer(self.onnx_dir)
        self._specials = len(self.tokenizer.encode("").ids)
        self._pad_id = self.tokenizer.token_to_id("<pad>") or 1
        self._dimension = int(self.session.get_outputs()[0].shape[-1] or 384)

    def with_settings(self, settings: EncodingSettings) -> OnnxEncoder:
        """The same loaded model under another version's encoding settings."""
        return OnnxEncoder(self.onnx_dir, self.info, settings, self.session, self.tokenizer,
                           self.encoder.checksum)

    @property
    def dimension(self) -> int:
        return self._dimension

    def clip(self, text: str, prompt: str, max_tokens: int) -> str:
        """The longest prefix of `text` that, behind `prompt`, fits in `max_tokens` model
        tokens (special tokens included), cut where a token ends (as Embedder.clip)."""
        return self._clip(text, prompt, max_tokens)[0]

    def _clip(self, text: str, prompt: str, max_tokens: int) -> tuple[str, Any]:
        """`clip`'s text, and its encoding when it is `text` whole (so it is not encoded
        again), else None."""
        full = prompt + text
        encoded = self.tokenizer.encode(full)
        if len(encoded.ids) < max_tokens:
            return text, encoded
        kept = encoded.offsets[1: 1 + max(max_tokens - self._specials, 0)]
        ends = [end for start, end in kept if end > start]
        if not ends or ends[-1] >= len(full.rstrip()):
            return text, encoded
        return full[: ends[-1]][len(prompt):], None

    def _encodings(self, texts: Sequence[str], prompt: str,
                   max_tokens: int | None = None) -> list[Any]:
        """Each text normalised, clipped to `max_tokens` and tokenized behind `prompt`."""
        texts = [unicodedata.normalize(self.settings.unicode_form, t) for t in texts]
        if max_tokens is None:
            return self.tokenizer.encode_batch([prompt + t for t in texts])
        clipped = [self._clip(t, prompt, max_tokens) for t in texts]
        return [e if e is not None else self.tokenizer.encode(prompt + t) for t, e in clipped]

    def _encode(self, texts: Sequence[str], prompt: str,
                max_tokens: int | None = None) -> np.ndarray:
        encodings = self._encodings(texts, prompt, max_tokens)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            # One text per run: dynamic quantization scales activations per tensor, so in a
            # batch a text's vector would depend on its neighbours (cosine ~0.995 to its own).
            out[row] = self._run([encoding.ids])[0]
        return self._normalized(out)

    def _normalized(self, out: np.ndarray) -> np.ndarray:
        if self.settings.normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def query_run(self, text: str, max_tokens: int | None = None) -> Callable[[], np.ndarray]:
        """`encode_query` in two halves: the question tokenized now, on this thread, and a
        call that only runs the model (ONNX Runtime releases the GIL while it runs), so
        another thread can run it while this one works (`search_service.encoding`)."""
        ids = self._encodings([text], self.settings.query_prompt, max_tokens)[0].ids
        return lambda: self._normalized(self._run([ids]))[0]

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        """Mean-pooled hidden states of one padded batch."""
        width = max(len(row) for row in ids)
        input_ids = np.full((len(ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for n, row in enumerate(ids):
            input_ids[n, : len(row)] = row
            mask[n, : len(row)] = 1
        hidden = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 16,
                        progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, self.settings.passage_prompt)  # batch_size: unused

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32,
                       max_tokens: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(texts, self.settings.query_prompt, max_tokens)

    def encode_query(self, text: str, max_tokens: int | None = None) -> np.ndarray:
        return self.encode_queries([text], max_tokens=max_tokens)[0]


def _session(path: Path, threads: int = 0) -> Any:
    """An inference session; `threads` intra-op threads (0: ONNX Runtime's default, one per
    core, for building; the service asks for 1, `search_service.loading`)."""
    import onnxruntime

    if not path.is_file():
        raise ModelError(f"{path}: no ONNX model; it is built by `ensure_int8_model` "
                         "or `indexer.q4_onnx.ensure_q4_model`")
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle intra-op threads sleep instead of spinning: a spinning thread takes the core a
    # concurrent request (or the rest of this one) needs. On 2 busy cores: one query p50
    # 9.4 ms instead of 21 ms, 4 threads at once 144 instead of 77 queries/s (README, Speed).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _tokenizer(onnx_dir: Path) -> Any:
    """The model's tokenizer, truncating at the model's max_seq_length, never padding:
    SentencePiece on the pieces of tokenizer.json (`indexer.spm_tokenizer`, the same ids,
    ~220 MB less resident memory), or `tokenizers` itself if that file cannot be written."""
    from indexer.spm_tokenizer import SpmTokenizer, ensure_spm_model

    config = json.loads((onnx_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    max_length = int(config.get("max_seq_length", 512))
    try:
        return SpmTokenizer(ensure_spm_model(onnx_dir), max_length)
    except OSError as exc:
        log.warning("%s: cannot write the SentencePiece tokenizer (%s); using tokenizer.json",
                    onnx_dir, exc)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(onnx_dir / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


def load_onnx_encoder(model_dir: Path, info: ModelInfo,
                      settings: EncodingSettings | None = None, threads: int = 0
                      ) -> OnnxEncoder:
    """The int8 encoder for the converted model at `model_dir` (built on first use), its
    session on `threads` intra-op threads (0: one per core)."""
    return OnnxEncoder(ensure_int8_model(Path(model_dir), info.checksum), info, settings,
                       threads=threads)
