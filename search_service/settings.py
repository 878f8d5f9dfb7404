"""The service's settings are the project's (`indexer.settings`, the one place that reads the
environment); re-exported here for the app and its tests."""

from indexer.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
