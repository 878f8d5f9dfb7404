"""Request limits, each derived from the ones it depends on, so that every valid request fits.

The URL limit is computed from the query limit: the longest valid search (500 characters of
question, every other parameter at its longest) always passes; anything much longer is a 414.
"""

from __future__ import annotations

from indexer.documents import KINDS

MAX_QUERY_CHARS = 500
MAX_K = 50
YEAR_MIN, YEAR_MAX = 1900, 2100
MODES = ("hybrid", "dense", "bm25")
SEARCH_PATH = "/api/search"
# Room for parameters the service ignores (a cache buster, a tracking tag), in characters.
URL_SLACK = 512
# One character is at most 4 UTF-8 bytes, each percent-encoded in 3 characters: %F0%9F%98%80.
MAX_ENCODED_PER_CHAR = 12


def longest_search_target() -> str:
    """The longest valid search, as its path and query, decoded (one character per character):
    a 500-character question, k=50, every kind, both years, the longest mode name."""
    params = [("q", "x" * MAX_QUERY_CHARS), ("k", str(MAX_K)),
              *(("kind", kind) for kind in KINDS),
              ("year_from", str(YEAR_MIN)), ("year_to", str(YEAR_MAX)),
              ("mode", max(MODES, key=len))]
    return SEARCH_PATH + "?" + "&".join(f"{name}={value}" for name, value in params)


# Counted on the request target after percent-decoding, so a question in Chinese or in emoji
# (9 or 12 encoded characters each) weighs what it says: 641 + 512 = 1,153 characters.
MAX_URL_CHARS = len(longest_search_target()) + URL_SLACK
# Before decoding: a target within MAX_URL_CHARS is never longer than this (13,836).
MAX_RAW_URL_CHARS = MAX_URL_CHARS * MAX_ENCODED_PER_CHAR
MAX_BODY_BYTES = 16_384
