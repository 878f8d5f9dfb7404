"""Passages: size, provenance, stable unique ids."""

from indexer.chunk import ChunkSettings, chunk_resource, passage_id
from indexer.documents import Paragraph, Resource, Source


def _resource(paragraphs: list[Paragraph]) -> Resource:
    return Resource(id="article-x-nd", title="X", kind="article", private=False,
                    source=Source("f.txt", 1, 100), paragraphs=tuple(paragraphs))


def _words(n: int, word: str = "mot") -> str:
    return " ".join([word] * n)


def test_paragraphs_grouped_within_bounds_and_lines_kept():
    pars = [Paragraph(_words(80, f"p{i}"), i * 2 + 1, i * 2 + 1) for i in range(6)]
    passages = chunk_resource(_resource(pars))
    assert [len(p.text.split()) for p in passages] == [240, 240]
    assert (passages[0].source.start_line, passages[0].source.end_line) == (1, 5)
    assert (passages[1].source.start_line, passages[1].source.end_line) == (7, 11)


def test_long_paragraph_split_at_sentences():
    text = " ".join(f"Phrase numéro {i} avec quelques mots de plus ici." for i in range(60))
    passages = chunk_resource(_resource([Paragraph(text, 3, 3)]))
    assert len(passages) > 1
    assert all(len(p.text.split()) <= 250 for p in passages)
    assert all(p.source.start_line == 3 for p in passages)


def test_small_tail_merged_and_sections_respected():
    pars = [Paragraph(_words(100), 1, 1, "A"), Paragraph(_words(100), 2, 2, "B"),
            Paragraph(_words(10), 3, 3, "B")]
    passages = chunk_resource(_resource(pars), ChunkSettings(60, 250))
    assert [p.section for p in passages] == ["A", "B"]
    assert len(passages[1].text.split()) == 110


def test_repeated_paragraph_gets_distinct_stable_ids():
    pars = [Paragraph(_words(100, "même"), 1, 1, "A"), Paragraph(_words(100, "autre"), 2, 2, "B"),
            Paragraph(_words(100, "même"), 3, 3, "C")]
    first = chunk_resource(_resource(pars))
    again = chunk_resource(_resource(pars))
    assert [p.id for p in first] == [p.id for p in again]
    assert len({p.id for p in first}) == 3
    assert first[0].id == passage_id("article-x-nd", first[0].text, 0)
    assert first[2].id == passage_id("article-x-nd", first[2].text, 1)
    assert all(0 <= int(p.id) < 2**63 for p in first)


def test_resource_without_text_gets_its_title():
    passages = chunk_resource(_resource([]))
    assert [(p.text, p.source.start_line) for p in passages] == [("X", 1)]


def test_each_paragraph_of_a_passage_keeps_its_offset_and_lines():
    pars = [Paragraph("Première phrase.", 3, 3), Paragraph("Deux lignes\njointes.", 5, 6),
            Paragraph("Dernière.", 9, 9)]
    (passage,) = chunk_resource(_resource(pars), ChunkSettings(min_words=1))
    assert passage.lines == ((0, 3, 3), (17, 5, 6), (38, 9, 9))
    for (offset, _, _), par in zip(passage.lines, pars, strict=True):
        assert passage.text[offset:].startswith(par.text)
    assert passage.to_dict()["lines"] == [[0, 3, 3], [17, 5, 6], [38, 9, 9]]
