"""Load an index version and the model its manifest names, checking that they agree."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from indexer.embed import Embedder, EncodingSettings, ModelInfo
from indexer.lexical import Analyzer, load_bm25
from indexer.model import load_sentence_transformer, model_checksum, resolve_model
from indexer.store import MANIFEST_FILE, IndexLoadError, load_index, resolve_version
from search_service.retrieval import RetrievalConfig, Searcher


def load_searcher(index_dir: Path, config: RetrievalConfig | None = None,
                  embedder: Embedder | None = None) -> Searcher:
    """The searcher for `index_dir`'s current version; query handling comes from its manifest."""
    version = resolve_version(index_dir)
    data = load_index(version)
    manifest = data.manifest
    model = manifest["model"]
    if embedder is None:
        path = Path(model["path"])
        if not path.is_dir():
            path = resolve_model(model["spec"])
        checksum = model_checksum(path)
        info = ModelInfo(spec=model["spec"], path=str(path), checksum=checksum)
        embedder = Embedder(load_sentence_transformer(path), info,
                            EncodingSettings.from_dict(manifest["encoding"]))
    else:
        embedder = Embedder(embedder.model, embedder.info,
                            EncodingSettings.from_dict(manifest["encoding"]))
    if embedder.info.checksum != model["checksum"]:
        raise IndexLoadError(version / MANIFEST_FILE,
                             f"was built with model {model['checksum'][:12]}…, the model at "
                             f"{embedder.info.path} is {embedder.info.checksum[:12]}…: "
                             "rebuild the index or point RTES_MODEL at the right model")
    lexical = manifest.get("lexical") or {}
    if not lexical:
        raise IndexLoadError(version / MANIFEST_FILE, "has no lexical section: rebuild the index")
    bm25_dir = version / lexical["directory"]
    try:
        bm25 = load_bm25(bm25_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexLoadError(bm25_dir, f"cannot be loaded ({exc})") from exc
    searcher = Searcher(data, embedder, bm25, Analyzer.from_dict(lexical), config)
    searcher.set_out_of_scope(out_of_scope_questions())
    return searcher


def out_of_scope_questions() -> list[str]:
    text = (resources.files("search_service") / "data" / "out_of_scope.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
