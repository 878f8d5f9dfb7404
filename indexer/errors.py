"""Typed errors raised at the indexer's boundaries, each naming the file at fault."""

from __future__ import annotations

from pathlib import Path


class IndexerError(Exception):
    """Base class: a message a person can act on."""


class SeedFileError(IndexerError):
    """A seed file or directory that cannot be read as a resource export."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexLoadError(IndexerError):
    """An index file that is missing, corrupt or disagrees with the rest."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NeedsOcrError(SeedFileError):
    """A PDF without a text layer (a scan): it must go through OCR before indexing."""


class ModelError(IndexerError):
    """The embedding model cannot be found, built, verified or loaded."""
