"""Knowing when the visible corpus has nothing to say: the question's words it never uses.

Two rules, read off the vocabularies of the caller's visibility (the stemmed BM25 field and
the edge n-gram field, both built at index time over the passages that visibility may see,
`indexer.visibility`), so an anonymous verdict is that of a public-only index:

- **nothing to find**: none of the question's words occurs in a visible passage
  (« asdfghjkl »), or it has none (« 😀 »: searched, but nothing to quote);
- **unknown name**: the question names something (a capitalised word past the first, an
  acronym) that no visible passage mentions (« le restaurant social Balanzan à
  Vitry-sur-Seine » when only a private newsletter names it): a resource library cannot
  answer about what it never names.

A word counts as seen when one of its stems is in the stemmed vocabulary or when some visible
word starts with its first six folded letters (the n-gram field), so a typo or an inflection
(« Migracop », « présidente ») is still seen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from indexer.text import fold_accents
from indexer.visibility import visibility
from search_service.question import Question, content_words

# A capitalised word (or acronym), hyphenated parts included: « Vitry-sur-Seine », « RER ».
_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\wÀ-ÿ]*(?:[-’'][\wÀ-ÿ]+)*")
# Marks after which a word opens a sentence (capitalised by grammar, not as a name).
_OPENERS = frozenset(".!?¿¡:;«»\"“”()")
MIN_PART = 2  # « S » of « Pôle S » says nothing
# The confidence of a search the corpus cannot answer (no result, or a rule above): the
# bottom of the scale of a cosine difference.
NO_ANSWER = -1.0


def names(question: str) -> list[str]:
    """The question's capitalised words that do not open a sentence."""
    text = unicodedata.normalize("NFC", question)
    return [m.group(0) for m in _NAME.finditer(text) if not _opens(text, m.start())]


def _opens(text: str, at: int) -> bool:
    """Does the word at `at` open a sentence: nothing but blanks and marks before it back to
    the start of the text or to an end mark? (Looks back to the previous word only.)"""
    i = at - 1
    while i >= 0 and not text[i].isalnum():
        if text[i] in _OPENERS:
            return True
        i -= 1
    return i < 0


class Vocabulary:
    """What one visibility's passages hold: stems and word prefixes, from the index."""

    def __init__(self, searcher: Any, member: bool) -> None:
        who = visibility(member)
        self.analyzer = searcher.analyzer
        self.stems = searcher.stemmed_field.indexes[who].vocab_dict
        field, self.settings = searcher.ngram_field, searcher.ngram_settings
        self.prefixes = (field.indexes[who].vocab_dict
                         if field is not None and who in field.indexes else {})

    def content_words(self, text: str) -> list[str]:
        """Folded words that are not stop words (the n-gram field's reading of a text)."""
        return content_words(text, self.analyzer, self.settings)

    def seen(self, word: str) -> bool:
        if any(t in self.stems for t in self.analyzer.tokens(word)):
            return True
        if self.settings is None:
            return False
        folded = fold_accents(word.lower())
        return folded[: self.settings.max_gram] in self.prefixes


def _parts(name: str, vocabulary: Vocabulary) -> list[str]:
    return [w for w in vocabulary.content_words(name) if len(w) >= MIN_PART]


def unknown_names(question: str, vocabulary: Vocabulary) -> list[str]:
    """The names of the question of which some part occurs in no visible passage."""
    return [n for n in names(question)
            if any(not vocabulary.seen(p) for p in _parts(n, vocabulary))]


def nothing_to_find(words: Iterable[str], vocabulary: Vocabulary) -> bool:
    """No word of the question (stop words aside) occurs in a visible passage; true also of
    a question with no such word at all (« 😀 », « de la »)."""
    return not any(vocabulary.seen(w) for w in words)


def abstain_reason(searcher: Any, question: Question | str, member: bool) -> str | None:
    """Why the visible corpus cannot answer `question` (None when nothing says so); its
    content words are read off the question's analysis when given one."""
    vocabulary = Vocabulary(searcher, member)
    text = question.text if isinstance(question, Question) else question
    words = (question.words if isinstance(question, Question)
             else vocabulary.content_words(text))
    if nothing_to_find(words, vocabulary):
        return "no word of the question occurs in the corpus"
    if unknown_names(text, vocabulary):
        return "the question names something the corpus never mentions"
    return None
