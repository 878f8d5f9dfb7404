"""Corpus-wide steps, run once every export is parsed: copies merged, fiches linked.

The same text exported in two files is one resource (its other places in `also_in`);
a catalogue fiche and its website copy name each other in `same_as`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from difflib import SequenceMatcher

from indexer.clean import words
from indexer.documents import Resource
from indexer.errors import SeedFileError
from indexer.text import fold_accents, normalize_line

TITLE_MATCH = 0.85  # similarity of folded titles for a same-fiche match without a number
_FICHE_NAME = re.compile(r"^.*?\bn°\s*\d+\s*[:\-–]\s*")


def resolve_corpus(resources: list[Resource]) -> list[Resource]:
    """The resources of every export, duplicates merged, links resolved, ids checked."""
    resources = link_same_as(merge_duplicates(resources))
    check_ids(resources)
    return resources


def _content_key(resource: Resource) -> tuple[tuple[str, ...], ...]:
    """A resource's text folded (case, accents, spaces, punctuation): equal for copies."""
    return (
        tuple(words(resource.title)),
        *(tuple(words(p.text)) for p in resource.paragraphs),
    )


def merge_duplicates(resources: list[Resource]) -> list[Resource]:
    """One resource per distinct content: the first copy kept, the others' places
    recorded in its `also_in` (the same text exported in two files)."""
    first_index: dict[tuple[tuple[str, ...], ...], int] = {}
    merged: list[Resource] = []
    for resource in resources:
        key = _content_key(resource)
        index = first_index.get(key)
        if index is None:
            first_index[key] = len(merged)
            merged.append(resource)
            continue
        kept = merged[index]
        merged[index] = dataclasses.replace(
            kept, also_in=(*kept.also_in, resource.source, *resource.also_in)
        )
    return merged


def fiche_name(title: str) -> str:
    """« Fiche Déniché pour vous n°97 : Migracoop » → « Migracoop »; other titles unchanged."""
    return _FICHE_NAME.sub("", normalize_line(title)) or title


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", _fold(fiche_name(title))))


def same_fiche(catalogue: Resource, other: Resource) -> bool:
    """By fiche number where the catalogue copy has one, else by a tolerant title match
    (the catalogue's OCR writes « Migrcoop » for Migracoop)."""
    if catalogue.fiche_number:
        return catalogue.fiche_number == other.fiche_number
    a, b = _title_key(catalogue.title), _title_key(other.title)
    return bool(a and b) and SequenceMatcher(None, a, b).ratio() >= TITLE_MATCH


def link_same_as(resources: list[Resource]) -> list[Resource]:
    """The resources, each catalogue fiche and its website copy naming each other in `same_as`."""
    copies = [r for r in resources if r.level == "fiche"]
    originals = [r for r in resources if r.level is None and r.kind == "fiche"]
    links: dict[str, list[str]] = defaultdict(list)
    for copy in copies:
        for original in originals:
            if same_fiche(copy, original):
                links[copy.id].append(original.id)
                links[original.id].append(copy.id)
    return [
        dataclasses.replace(r, same_as=tuple(dict.fromkeys((*r.same_as, *links[r.id]))))
        if r.id in links else r
        for r in resources
    ]


def _fold(text: str) -> str:
    return fold_accents(text).lower().replace("’", "'")


def check_ids(resources: list[Resource]) -> None:
    """Two different resources with one id would overwrite each other in the index."""
    first: dict[str, Resource] = {}
    for resource in resources:
        other = first.setdefault(resource.id, resource)
        if other is not resource:
            raise SeedFileError(
                resource.source.file,
                f"line {resource.source.start_line}: resource id {resource.id} is already "
                f"given by {other.source.file} line {other.source.start_line} "
                "with other text")
