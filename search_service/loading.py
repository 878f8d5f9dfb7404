"""Open an index version and load the model its manifest names, checking that they agree.

Every file of the version is read and checked (`indexer.opening.open_version`) before the
model is loaded, so a broken index is refused in a second, with one `IndexLoadError` naming
the file at fault.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from indexer.embed import Embedder, EncodingSettings, ModelInfo
from indexer.encoders import built_with, load_encoder, require_encoder, require_kind, with_settings
from indexer.errors import IndexerError
from indexer.model import model_checksum, resolve_model
from indexer.opening import IndexData, IndexLoadError, open_version, require_model
from indexer.search_config import RetrievalConfig
from search_service import language
from search_service.answer_choice import check_model
from search_service.caches import with_query_cache
from search_service.retrieval import Searcher
from search_service.sentence_features import SentenceStats
from search_service.signal_loading import load_signals

# The service's int8 session runs one question at a time on one core: a short question is no
# faster on two (7.3 against 7.9 ms a run, timed by hand), and the other core is then free
# for the rest of the search, which overlaps the encoding (`search_service.encoding`), or for
# a concurrent request (2 threads at once: 3.6 against 4.2 ms a run).
QUERY_THREADS = 1


def _embedder(data: IndexData, embedder: Any, cache_dir: Path | None,
              encoder: str | None) -> Any:
    """The given encoder (tests, reloads) or the one the manifest names (of kind `encoder`
    when set), with the version's encoding settings either way."""
    settings = EncodingSettings.from_dict(asdict(data.manifest.encoding))
    if embedder is not None:
        return with_settings(embedder, settings)
    require_kind(data, encoder)  # before a model loads
    model = data.manifest.model
    path = Path(model.path)
    if not path.is_dir():
        path = resolve_model(model.spec, cache_dir)
    info = ModelInfo(spec=model.spec, path=str(path), checksum=model_checksum(path))
    return load_encoder(encoder or built_with(data.manifest).kind, path, info, settings,
                        threads=QUERY_THREADS)


def limit_search_threads() -> None:
    """One OpenMP thread for FAISS: a search is one query vector, and waking a team of
    threads for it costs more than the search (on 2 busy cores, 16 ms instead of 0.02 ms
    for the seed index). Parallelism comes from the server's concurrent requests."""
    import faiss

    faiss.omp_set_num_threads(1)


def load_searcher(index_dir: Path, config: RetrievalConfig | None = None,
                  embedder: Embedder | None = None, cache_dir: Path | None = None,
                  encoder: str | None = None, query_cache: int = 0) -> Searcher:
    """The searcher for `index_dir`'s current version, configured by its config file.

    `cache_dir` (the `RTES_CACHE_DIR` setting) is where a model named by spec is found;
    `encoder` (RTES_ENCODER) the kind the version must have been built with (None: the
    manifest's); `query_cache` the size of the query-vector cache (0: none)."""
    limit_search_threads()
    data = open_version(index_dir)
    signals = load_signals(data, data.manifest.model.dimension)
    return searcher_for(data, signals, config, embedder, cache_dir, encoder, query_cache)


def searcher_for(data: IndexData, signals: dict[str, Any], config: RetrievalConfig | None,
                 embedder: Embedder | None, cache_dir: Path | None, encoder: str | None,
                 query_cache: int, storage: Any = None) -> Searcher:
    """The searcher of an opened version (a directory's, or the database's with its
    `storage`): the model checked against the manifest, texts analysed, profiles loaded."""
    embedder = _embedder(data, embedder, cache_dir, encoder)
    require_model(data, embedder.info.checksum, embedder.info.path)
    require_encoder(data, embedder)
    require_kind(data, encoder)
    try:
        searcher = Searcher(data, with_query_cache(embedder, query_cache), config,
                            storage=storage, **signals)
    except IndexerError:
        raise
    except Exception as exc:  # a disagreement the checks above did not foresee
        raise IndexLoadError(data.path, f"cannot be served ({type(exc).__name__}: {exc})") \
            from exc
    problem = check_model(searcher.answer_config.sentence_model)
    if problem is not None:
        raise IndexLoadError(data.path, problem)
    searcher.set_out_of_scope(out_of_scope_questions())
    searcher.analyse_texts()
    searcher.sentence_stats = SentenceStats.build(searcher)
    language.load_profiles()
    return searcher


def encoder_options(settings: Any) -> dict[str, Any]:
    """What the service's settings say about the encoder: its kind, its query cache."""
    return {"encoder": settings.encoder, "query_cache": settings.query_cache}


def out_of_scope_questions() -> list[str]:
    text = (resources.files("search_service") / "data" / "out_of_scope.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
