"""Who may see a passage, and the rule that every corpus statistic follows.

THE RULE. A private resource must not change any number an anonymous caller sees. So every
corpus statistic a response depends on is built once per visibility, over the passages that
visibility may see, and a search uses the statistics of its caller's visibility:

- PUBLIC: the public passages only, for anonymous callers;
- MEMBER: every passage, for callers with a member token.

Today that means BM25 (document frequencies, average length, vocabulary: two indexes in each
version, `indexer.lexical`) and the name bonus's rare-title-word table
(`search_service.names`). Any statistic added later (n-gram fields, resource vectors,
vocabularies for confidence, anything counted over the corpus) is built the same way, and
joins `tests/test_visibility.py`, which compares every anonymous score with those of an index
built from the public resources alone.

Filters (kind, years) only remove passages from a ranking; they do not change statistics.
Dense search is exact below `FLAT_LIMIT` passages (FAISS keeps only the allowed ids), so no
private vector changes an anonymous result. Above it the HNSW graph is built over every
vector: its approximate neighbours could differ from those of a public-only graph, and an
HNSW index per visibility is the fix to make when the corpus gets that large.
"""

from __future__ import annotations

from collections.abc import Sequence

PUBLIC = "public"
MEMBER = "member"
VISIBILITIES = (PUBLIC, MEMBER)


def visibility(member: bool) -> str:
    return MEMBER if member else PUBLIC


def visible(private: bool, who: str) -> bool:
    """May `who` (PUBLIC or MEMBER) see a passage or resource with this privacy flag?"""
    if who not in VISIBILITIES:
        raise ValueError(f"unknown visibility {who!r} (public or member)")
    return who == MEMBER or not private


def visible_positions(private: Sequence[bool], who: str) -> list[int]:
    """Positions of the items `who` may see, in their order."""
    return [i for i, flag in enumerate(private) if visible(flag, who)]
