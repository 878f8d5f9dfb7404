"""The SentencePiece tokenizer gives `tokenizers`' ids, and its ends of tokens, on every text."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from eval.data import default_eval_dir, load_question_set
from indexer.spm_tokenizer import SPM_FILE, SpmTokenizer, ensure_spm_model
from search_service.retrieval import Searcher

pytestmark = pytest.mark.slow
ODD = ["", " ", "  a  b ", "a\u200b", "\u200b\u200b\u200b", "asdfghjkl", "l’économie sociale",
       "Œuvre — « test » … 3½ ﬁn", "ＡＢＣ ｆｉ", "😀 emoji", "tab\there\nnewline", "日本語",
       "Привет мир", "<s> </s> <mask>x<pad>", "mot " * 700, "x" * 3000]


@pytest.fixture(scope="module")
def model_dir(e5_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spm")
    shutil.copy2(e5_model_dir / "tokenizer.json", out / "tokenizer.json")
    return out


@pytest.fixture(scope="module")
def pair(model_dir: Path) -> tuple[Tokenizer, SpmTokenizer]:
    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(512)
    return reference, SpmTokenizer(ensure_spm_model(model_dir), 512)


def texts_of(searcher: Searcher) -> list[str]:
    passages = [p["text"] for p in searcher.data.passages]
    sentences = [searcher.data.passages[s["passage"]]["text"][s["start"]:s["end"]]
                 for s in searcher.data.sentences]
    questions = [q.text for q in load_question_set(default_eval_dir()).queries]
    texts = passages + sentences + questions + ODD
    return [unicodedata.normalize("NFC", p + t) for t in texts for p in ("query: ", "")]


def test_ids_and_token_ends_are_those_of_tokenizers(pair, searcher: Searcher) -> None:
    reference, spm = pair
    texts = texts_of(searcher)
    assert len(texts) > 2000
    for text in texts:
        expected, found = reference.encode(text), spm.encode(text)
        assert found.ids == expected.ids, text[:80]
        assert [e for _, e in found.offsets] == [e for _, e in expected.offsets], text[:80]
    assert spm.token_to_id("<pad>") == reference.token_to_id("<pad>") == 1
    assert spm.token_to_id("pas-une-pièce-du-vocabulaire") is None


def test_long_texts_are_cut_at_512_tokens_with_their_ends(pair) -> None:
    _, spm = pair
    ids = spm.encode("mot " * 700).ids
    assert len(ids) == 512 and ids[0] == 0 and ids[-1] == 2


def test_the_model_file_is_written_once_and_rewritten_when_stale(model_dir: Path) -> None:
    path = ensure_spm_model(model_dir)
    written = path.stat().st_mtime_ns
    assert ensure_spm_model(model_dir) == path and path.stat().st_mtime_ns == written
    (model_dir / "tokenizer.json").touch()
    ensure_spm_model(model_dir)
    assert path.stat().st_mtime_ns > written
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(["tokenizer.json", SPM_FILE])
