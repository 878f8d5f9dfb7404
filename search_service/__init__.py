"""RTES search service: a FastAPI app over an index built by `indexer`.

Importing the package loads nothing: the app is `search_service.app.create_app`, so
`import search_service.retrieval` does not import FastAPI.
"""
