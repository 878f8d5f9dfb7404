"""One vector per resource: its title, keywords and opening words, embedded as a passage.

A passage is cut from one part of a resource; this vector says what the whole resource is
about, so a question about its subject finds it even when no single passage says it all.
Computed at build time (reused by text hash like the passage vectors) and written into the
version directory: `resource_vectors.npy` (float32, one row per resource of
`resources.jsonl`, in its order) and `resource_vectors.json` (id and text hash per row),
named in the manifest under `resource_vectors`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.documents import Resource
from indexer.embed import Embedder, nfc
from indexer.errors import IndexLoadError
from indexer.store import read_array

MANIFEST_KEY = "resource_vectors"
VECTORS_FILE = "resource_vectors.npy"
ROWS_FILE = "resource_vectors.json"
OPENING_WORDS = 120  # the opening of the text stands in for a summary


def resource_text(resource: Resource, words: int = OPENING_WORDS) -> str:
    """Title, keywords and the first `words` words of the resource's text."""
    opening: list[str] = []
    for paragraph in resource.paragraphs:
        opening.extend(paragraph.text.split())
        if len(opening) >= words:
            break
    parts = [resource.title, ", ".join(resource.keywords), " ".join(opening[:words])]
    return nfc(". ".join(p for p in parts if p))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def previous_vectors(version_dir: Path | None) -> dict[str, np.ndarray]:
    """Text hash → vector from a previous version (nothing when it has none or is unreadable)."""
    if version_dir is None:
        return {}
    try:
        rows = json.loads((version_dir / ROWS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(version_dir / VECTORS_FILE, allow_pickle=False)
    except (OSError, ValueError):
        return {}
    if len(rows) != len(vectors):
        return {}
    return {row["sha"]: vectors[i] for i, row in enumerate(rows)}


def embed_resources(resources: Sequence[Resource], embedder: Embedder,
                    reuse: dict[str, np.ndarray]) -> tuple[np.ndarray, list[dict[str, str]]]:
    """The resources' vectors (reused when their text is unchanged) and their rows."""
    texts = [resource_text(r) for r in resources]
    rows = [{"id": r.id, "sha": _sha(t)} for r, t in zip(resources, texts, strict=True)]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    todo = []
    for i, row in enumerate(rows):
        if row["sha"] in reuse and reuse[row["sha"]].shape == (embedder.dimension,):
            vectors[i] = reuse[row["sha"]]
        else:
            todo.append(i)
    # One text per call: a vector must not depend on the others in its batch (padding), or a
    # private resource's text would nudge a public resource's vector (indexer.visibility).
    for i in todo:
        vectors[i] = embedder.encode_passages([texts[i]], progress=False)[0]
    return vectors, rows


def save_resource_vectors(vectors: np.ndarray, rows: list[dict[str, str]],
                          version_dir: Path) -> None:
    np.save(version_dir / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))
    (version_dir / ROWS_FILE).write_text(json.dumps(rows, ensure_ascii=False) + "\n",
                                         encoding="utf-8")


def manifest_section(rows: list[dict[str, str]], prompt: str) -> dict[str, Any]:
    return {"file": VECTORS_FILE, "rows": ROWS_FILE, "count": len(rows), "prompt": prompt,
            "text": f"title, keywords, first {OPENING_WORDS} words"}


def load_resource_vectors(version_dir: Path, manifest: dict[str, Any],
                          resource_ids: Sequence[str], dimension: int) -> np.ndarray:
    """The vectors, one row per resource in `resource_ids` order; any disagreement is an
    IndexLoadError naming the file."""
    section = manifest.get(MANIFEST_KEY)
    if not isinstance(section, dict) or section.get("file") != VECTORS_FILE \
            or section.get("rows") != ROWS_FILE:
        raise IndexLoadError(version_dir / "manifest.json",
                             f"has no {MANIFEST_KEY} section: rebuild the index")
    rows_path = version_dir / ROWS_FILE
    try:
        rows = json.loads(rows_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexLoadError(rows_path, "is missing") from exc
    except (OSError, ValueError) as exc:
        raise IndexLoadError(rows_path, f"cannot be read ({exc})") from exc
    ids = [row.get("id") if isinstance(row, dict) else None for row in rows] \
        if isinstance(rows, list) else None
    if ids != list(resource_ids) or section.get("count") != len(resource_ids):
        raise IndexLoadError(rows_path, "does not list the resources of resources.jsonl in "
                                        "order (truncated or from another build)")
    return read_array(version_dir / VECTORS_FILE, shape=(len(resource_ids), dimension))
