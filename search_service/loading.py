"""Load an index version and the model its manifest names, checking that they agree.

Every file of the version is read and checked before the model is loaded, so a broken
index is refused in a second, with one `IndexLoadError` naming the file at fault.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from indexer.embed import Embedder, EncodingSettings, ModelInfo
from indexer.errors import IndexerError
from indexer.lexical import Analyzer, load_bm25
from indexer.model import load_sentence_transformer, model_checksum, resolve_model
from indexer.store import (
    MANIFEST_FILE,
    RESOURCES_FILE,
    IndexData,
    IndexLoadError,
    load_index,
    resolve_version,
)
from indexer.visibility import VISIBILITIES, visible_positions
from search_service.retrieval import RetrievalConfig, Searcher
from search_service.signal_loading import load_signals


def load_lexical(data: IndexData) -> tuple[Analyzer, dict[str, Any]]:
    """The analyzer, and the BM25 index of each visibility the version has (none for a
    visibility that sees no passage)."""
    manifest_path = data.path / MANIFEST_FILE
    lexical = data.manifest.get("lexical")
    if not isinstance(lexical, dict):
        raise IndexLoadError(manifest_path, "has no lexical section: rebuild the index")
    directories, documents = lexical.get("directories"), lexical.get("documents")
    if not isinstance(directories, dict) or not isinstance(documents, dict):
        raise IndexLoadError(manifest_path, "its lexical section names no BM25 directories per "
                                            "visibility: rebuild the index")
    try:
        analyzer = Analyzer.from_dict(lexical)
    except (KeyError, TypeError) as exc:
        raise IndexLoadError(manifest_path, f"its lexical section is incomplete ({exc})") from exc
    resources = {r["id"]: r for r in data.resources}
    private = [bool(resources[p["resource_id"]]["private"]) for p in data.passages]
    indexes: dict[str, Any] = {}
    for who in VISIBILITIES:
        name, count = directories.get(who), documents.get(who)
        visible_count = len(visible_positions(private, who))
        if (count or 0) != visible_count:
            raise IndexLoadError(manifest_path, f"its lexical section counts {count} {who} "
                                 f"documents, {RESOURCES_FILE} makes {visible_count}")
        if name is None and count is None:
            continue
        if not isinstance(name, str) or not isinstance(count, int) or "/" in name:
            raise IndexLoadError(manifest_path, f"its lexical section is malformed for {who}")
        try:
            indexes[who] = load_bm25(data.path / name, documents=count)
        except IndexerError:
            raise
        except Exception as exc:  # bm25s's own errors, after our checks passed
            raise IndexLoadError(data.path / name, f"cannot be loaded ({exc})") from exc
    return analyzer, indexes


def _embedder(manifest: dict[str, Any], embedder: Embedder | None) -> Embedder:
    model = manifest["model"]
    settings = EncodingSettings.from_dict(manifest.get("encoding") or {})
    if embedder is not None:
        return Embedder(embedder.model, embedder.info, settings)
    path = Path(model["path"])
    if not path.is_dir():
        path = resolve_model(model["spec"])
    info = ModelInfo(spec=model["spec"], path=str(path), checksum=model_checksum(path))
    return Embedder(load_sentence_transformer(path), info, settings)


def load_searcher(index_dir: Path, config: RetrievalConfig | None = None,
                  embedder: Embedder | None = None) -> Searcher:
    """The searcher for `index_dir`'s current version; query handling comes from its manifest."""
    version = resolve_version(index_dir)
    data = load_index(version)
    analyzer, lexical = load_lexical(data)
    signals = load_signals(data, int(data.vectors.shape[1]))
    model = data.manifest["model"]
    embedder = _embedder(data.manifest, embedder)
    if embedder.info.checksum != model["checksum"]:
        _refuse_model(version, model, embedder.info)
    try:
        searcher = Searcher(data, embedder, lexical, analyzer, config, **signals)
    except IndexerError:
        raise
    except Exception as exc:  # a disagreement the checks above did not foresee
        raise IndexLoadError(version, f"cannot be served ({type(exc).__name__}: {exc})") \
            from exc
    searcher.set_out_of_scope(out_of_scope_questions())
    return searcher


def _refuse_model(version: Path, model: dict[str, Any], info: ModelInfo) -> NoReturn:
    raise IndexLoadError(version / MANIFEST_FILE,
                         f"was built with model {model['checksum'][:12]}…, the model at "
                         f"{info.path} is {info.checksum[:12]}…: "
                         "rebuild the index or point RTES_MODEL at the right model")


def out_of_scope_questions() -> list[str]:
    text = (resources.files("search_service") / "data" / "out_of_scope.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
