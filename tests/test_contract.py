"""Issue 15: one typed index contract and one configuration path.

The manifest round-trips through its typed class; a version of another format is refused with
« rebuild the index »; the environment is read in `indexer.settings` only, which imports
nothing of the project; every `RTES_…` name an error or a help text mentions is a setting
that exists; and the seed index gives the recorded run (`eval/fixtures/seed_run.jsonl`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from eval.data import default_eval_dir, load_question_set
from eval.fixture import DEFAULT_FIXTURE, FIXTURE_SPLITS, compare_runs, read_fixture, record
from indexer.errors import IndexLoadError
from indexer.manifest import FORMAT_VERSION, Manifest
from indexer.opening import open_version
from indexer.search_config import CONFIG_FILE, SearchConfig, default_config, read_config
from indexer.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).parent.parent
PACKAGES = ("indexer", "search_service", "eval")


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_environment_is_read_in_the_settings_module_only():
    readers = [str(p.relative_to(ROOT)) for p in _sources()
               if re.search(r"os\.environ|os\.getenv|getenv\(", p.read_text("utf-8"))]
    assert readers == ["indexer/settings.py"]


def test_settings_module_is_a_leaf():
    tree = ast.parse((ROOT / "indexer" / "settings.py").read_text("utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & set(PACKAGES)


def test_every_named_setting_exists():
    """README, error messages and help texts only name settings `Settings` reads."""
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    texts = [p.read_text("utf-8") for p in _sources()] + [(ROOT / "README.md").read_text()]
    named = {m for text in texts for m in re.findall(r"\bRTES_[A-Z_]+[A-Z]\b", text)}
    assert named, "no setting named anywhere: the pattern is wrong"
    assert named - known == set()


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RTES_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("RTES_MEMBER_TOKENS", " a , b ,")
    monkeypatch.setenv("RTES_MODEL", "/models/e5")
    settings = Settings()
    assert settings.model_cache() == tmp_path and settings.member_tokens == ["a", "b"]
    assert settings.model == "/models/e5" and settings.confidence_threshold is None
    monkeypatch.delenv("RTES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Settings().model_cache() == tmp_path / "rtes-search"


def test_default_config_is_complete_and_strict(tmp_path):
    config = default_config()
    assert SearchConfig.from_dict(config.to_dict(), tmp_path) == config
    broken = config.to_dict()
    broken["retrieval"]["dense_weight"] = "0.6"
    path = tmp_path / CONFIG_FILE
    path.write_text(json.dumps(broken))
    with pytest.raises(IndexLoadError, match=r"config\.json.*retrieval\.dense_weight"):
        read_config(path)
    broken["retrieval"]["dense_weight"] = 0.6
    broken["answer"]["threshold"] = 0.1
    path.write_text(json.dumps(broken))
    with pytest.raises(IndexLoadError, match="unknown answer settings"):
        read_config(path)


@pytest.mark.slow
def test_manifest_round_trips_and_names_its_files(seed_index):
    data = open_version(seed_index)
    raw = json.loads((data.path / "manifest.json").read_text())
    assert raw["format_version"] == FORMAT_VERSION
    assert Manifest.from_dict(raw, data.path).to_dict() == raw
    assert data.manifest.config.file == CONFIG_FILE
    assert set(data.bm25) == {"public", "member"}
    raw["format_version"] = FORMAT_VERSION - 1
    with pytest.raises(IndexLoadError, match="rebuild the index"):
        Manifest.from_dict(raw, data.path / "manifest.json")


@pytest.mark.slow
def test_seed_index_gives_the_recorded_run(searcher):
    """The committed run (`python -m eval fixture --index DIR` regenerates it after a change
    meant to move results) is what the seed index returns."""
    from search_service.pipeline import run_search

    qs = load_question_set(default_eval_dir())
    questions = [(q.id, q.text) for q in qs.queries if q.split in FIXTURE_SPLITS]
    got = record(questions, lambda text: asdict(run_search(searcher, text)))
    problems = compare_runs(read_fixture(DEFAULT_FIXTURE), got,
                            searcher.answer_config.decision_threshold)
    assert problems == [], "\n".join(problems[:20])
