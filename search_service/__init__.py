"""RTES search service: a FastAPI app over an index built by `indexer`."""

from search_service.app import create_app

__all__ = ["create_app"]
