"""Web pages written like the RTES site's Drupal markup: main content, metadata, lines."""

from __future__ import annotations

import re
from pathlib import Path

import justext
import pytest

from indexer.errors import SeedFileError
from indexer.html import parse_html, text_lines
from indexer.html_meta import kind_of_section, strip_site_name
from indexer.text import fold_accents

PAGES = Path(__file__).parent / "fixtures" / "html"
FICHE = "fiche-127-la-cantine-des-possibles.html"

# What each page says it is: id, title, kind, date, updated, private, privacy field, tags, URL.
EXPECTED = {
    FICHE: ("fiche-127", "Fiche Déniché pour vous n°127 - La Cantine des Possibles", "fiche",
            "2024-05", "2024-06", False, True, ("alimentation", "tiers-lieu", "QPV", "Scic"),
            "https://www.rtes.fr/fiches/deniche-pour-vous-n127-la-cantine-des-possibles"),
    "rencontre-cantines-solidaires-2024.html": (
        "event-rencontre-nationale-cantines-solidaires-et-restauration-collective-2024-09",
        "Rencontre nationale : cantines solidaires et restauration collective", "event",
        "2024-09", None, False, False, ("alimentation", "commande publique"),
        "https://www.rtes.fr/evenements/rencontre-nationale-cantines-solidaires-et-"
        "restauration-collective"),
    "webinaire-groupe-de-travail-foncier.html": (
        "conference-groupe-de-travail-foncier-solidaire-compte-rendu-de-2025-03",
        "Groupe de travail « Foncier solidaire » : compte rendu de la séance de mars",
        "conference", "2025-03", None, True, True, ("foncier",),
        "https://www.rtes.fr/webinaires/groupe-de-travail-foncier-solidaire-compte-rendu"),
    "actualite-guide-achats-responsables.html": (
        "article-le-rtes-publie-un-guide-sur-les-achats-2023-11",
        "Le RTES publie un guide sur les achats publics responsables", "article", "2023-11",
        None, False, False, ("commande publique", "clauses sociales"), None),
    "formation-elus-ess-2025.html": (
        "event-formation-des-elus-decouvrir-l-ess-2025-01",
        "Formation des élus : découvrir l'ESS", "event", "2025-01", None, False, False, (),
        "https://www.rtes.fr/evenements/formation-des-elus-decouvrir-l-ess"),
}

# Text of the site's furniture on these pages: none of it may reach a passage.
FURNITURE = ("Aller au contenu", "Navigation principale", "Adhérer au réseau", "Espace membres",
             "Rechercher", "Fil d'Ariane", "Accueil", "À lire aussi", "Centième Singe",
             "Mentions légales", "Plan du site", "Contact", "lettre d'information",
             "Maison des associations", "Partager", "Facebook", "LinkedIn", "Imprimer",
             "Ressource privée", "Type de ressource", "Ressources RTES", "Mots-clés",
             "Publié le 14 mai", "Publié le 3 septembre", "Tous droits réservés",
             "Réseau des collectivités", "Marion Dupont", "espace membre")


def _parse(name: str):
    return parse_html(name, (PAGES / name).read_bytes())


def _key(text: str) -> str:
    return "".join(re.findall(r"\w", fold_accents(text).lower()))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_page_gives_its_metadata(name):
    page = _parse(name)
    r = page.resource
    rid, title, kind, date, updated, private, declared, tags, url = EXPECTED[name]
    assert (r.id, r.title, r.kind, r.date, r.updated) == (rid, title, kind, date, updated)
    assert (r.private, page.privacy_declared, r.keywords, r.url) == (private, declared, tags, url)
    assert r.source.file == name and r.source.page is None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_passages_hold_the_article_and_nothing_of_the_site(name):
    paragraphs = _parse(name).resource.paragraphs
    assert paragraphs
    for paragraph in paragraphs:
        for furniture in FURNITURE:
            assert furniture not in paragraph.text, (furniture, paragraph.text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_paragraph_cites_the_source_lines_it_stands_on(name):
    lines = (PAGES / name).read_text(encoding="utf-8").splitlines()
    for paragraph in _parse(name).resource.paragraphs:
        cited = _key(" ".join(lines[paragraph.start_line - 1: paragraph.end_line]))
        words = [_key(w) for w in paragraph.text.lstrip("• ").split()]
        assert all(w in cited for w in words), (paragraph, cited)
        # The range is tight: the lines just outside do not hold its first and last words.
        assert _key(words[0]) in _key(lines[paragraph.start_line - 1])
        assert _key(words[-1]) in _key(lines[paragraph.end_line - 1])


def test_fiche_sections_lists_and_lines():
    r = _parse(FICHE).resource
    assert [(p.start_line, p.end_line, p.section) for p in r.paragraphs] == [
        (69, 73, None), (74, 76, None), (78, 81, "Rôle de la collectivité"),
        (83, 83, "Rôle de la collectivité"), (84, 84, "Rôle de la collectivité"),
        (85, 85, "Rôle de la collectivité"), (88, 89, "Pour aller plus loin")]
    assert r.paragraphs[3].text == "• Mise à disposition d'un local de 180 m² en pied d'immeuble"
    assert r.fiche_number == "127"


def test_drupal_field_labels_read_with_their_values():
    paragraphs = _parse("formation-elus-ess-2025.html").resource.paragraphs
    assert [p.text for p in paragraphs][:2] == [
        "Une journée pour les élus nouvellement chargés de l'ESS.",
        "Lieu : Paris, Maison de l'ESS"]
    assert paragraphs[-1].section == "Programme"
    assert paragraphs[-1].text.startswith("14 h | Construire une stratégie locale")


def test_a_sentence_that_begins_like_furniture_stays():
    texts = [p.text for p in _parse("actualite-guide-achats-responsables.html").resource.paragraphs]
    assert texts[-1].startswith("Publié le 3 mars 2020, le premier guide")


def test_justext_the_alternative_lets_navigation_through_and_drops_short_pages():
    """Why trafilatura: on the same pages jusText (its own fallback, so already installed)
    keeps the hidden navigation headings and loses a short page whole."""
    def kept(name: str) -> list[str]:
        found = justext.justext((PAGES / name).read_bytes(), justext.get_stoplist("French"))
        return [p.text for p in found if not p.is_boilerplate]

    assert "Navigation principale" in kept(FICHE)
    assert "Fil d'Ariane" in kept("rencontre-cantines-solidaires-2024.html")
    assert kept("formation-elus-ess-2025.html") == []
    assert _parse("formation-elus-ess-2025.html").resource.paragraphs


def test_title_loses_the_site_name_at_either_end():
    name = "Réseau des collectivités Territoriales pour une Économie Solidaire"
    assert strip_site_name(f"Le guide - {name}", None) == "Le guide"
    assert strip_site_name("Fiche n°127 - La Cantine | RTES", "RTES") == "Fiche n°127 - La Cantine"
    assert strip_site_name("Mon site :: Un titre", "Mon site") == "Un titre"
    assert strip_site_name("Un titre - sans site", "RTES") == "Un titre - sans site"


def test_breadcrumb_and_url_words_map_onto_kinds():
    assert [kind_of_section(w) for w in ("Déniché pour vous", "Agenda", "Webinaires",
                                         "lettres-d-information".replace("-", " "),
                                         "Actualités", "Ressources")] == [
        "fiche", "event", "conference", "newsletter", "article", None]


def _page(body: str, head: str = "<title>Une page | RTES</title>") -> bytes:
    return (f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">{head}</head>\n"
            f"<body>\n{body}\n</body></html>\n").encode()


ARTICLE = ("<article><h1>Une page</h1>\n<p>Un paragraphe assez long pour être le contenu "
           "principal de la page, sur l'économie sociale et solidaire dans les territoires "
           "et le rôle des collectivités locales dans son développement.</p>\n{extra}</article>")


def test_kind_from_url_folders_when_no_breadcrumb():
    head = ('<title>Une page | RTES</title>'
            '<link rel="canonical" href="https://www.rtes.fr/newsletters/numero-12">')
    page = parse_html("p.html", _page(ARTICLE.format(extra=""), head))
    assert page.resource.kind == "newsletter"
    assert page.resource.url == "https://www.rtes.fr/newsletters/numero-12"


def test_javascript_canonical_is_not_a_url():
    head = '<title>Une page</title><link rel="canonical" href="javascript:alert(1)">'
    assert parse_html("p.html", _page(ARTICLE.format(extra=""), head)).resource.url is None


def test_inline_privacy_field():
    extra = "<p><strong>Ressource privée :</strong> Oui</p>"
    assert parse_html("p.html", _page(ARTICLE.format(extra=extra))).resource.private is True


def test_latin1_page_that_says_so_is_read_with_its_lines():
    text = ('<html><head><meta charset="iso-8859-1"><title>Été solidaire</title></head>\n'
            "<body>\n<article>\n<h1>Été solidaire</h1>\n<p>Les collectivités à l'œuvre pour "
            "une économie solidaire pendant l'été, avec les acteurs du territoire et les "
            "habitants des quartiers prioritaires.</p>\n</article>\n</body></html>")
    page = parse_html("ete.html", text.replace("œ", "oe").encode("latin-1"))
    assert page.resource.title == "Été solidaire"
    assert [(p.start_line, p.end_line) for p in page.resource.paragraphs] == [(5, 5)]


def test_text_lines_skip_blank_lines_and_tags():
    import lxml.html

    root = lxml.html.fromstring("<div>\n\n<p>\n  un\n  <b>deux</b>\n</p>\n\n</div>")
    assert text_lines(root) == (4, 5)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"\x00\x01<html>", "is binary"),
        ("<html><body><p>Économie</p></body></html>".encode("latin-1"), "is not valid utf-8"),
        (b'<html><head><meta charset="klingon"></head></html>', "unknown charset"),
        (_page("<nav><ul><li><a href='/'>Accueil</a></li></ul></nav>"), "no main content"),
        (_page(ARTICLE.format(extra="<div class='field'><div class='field__label'>Ressource "
                              "privée</div><div class='field__item'>Peut-être</div></div>")),
         "must be followed by Oui or Non"),
        (_page("<p>" + "Texte sans titre aucun, " * 12 + "</p>", head=""), "has no title"),
    ],
)
def test_unreadable_pages_are_refused_by_name(data, reason):
    with pytest.raises(SeedFileError, match=re.escape(reason)) as error:
        parse_html("page.html", data)
    assert "page.html" in str(error.value)
