"""The part of a quoted sentence that answers: the number, date, person, place or organisation
the question asks for, marked in `answer.highlight` and kept inside a long sentence's window.

The one table of answer types (`_ASKS`): it marks and windows the quote, gives the hand score
its bonus (`answer.hand_scores`) and the learned choice its type features
(`sentence_features`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

_MONTHS = (r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
           r"novembre|décembre|decembre")
_NUMBER_WORDS = (r"deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|"
                 r"trente|quarante|cinquante|soixante|cent|cents|mille|millions?|milliards?|"
                 r"dizaines?|centaines?|milliers?")
_UPPER = r"A-ZÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ"
_NAME = rf"[{_UPPER}][\wÀ-ÿ'’-]+"

NUMBER = re.compile(rf"\d[\d  .,]*\d\s?(%|€|m²|k€|M€)?|\d\s?(%|€|m²)?|\b({_NUMBER_WORDS})\b",
                    re.I)
DATE = re.compile(rf"\b(\d{{1,2}}(er)? ({_MONTHS})( (19|20)\d\d)?|({_MONTHS}) (19|20)\d\d|"
                  r"(19|20)\d\d)\b", re.I)
PERSON = re.compile(rf"\b{_NAME}(-{_NAME})? {_NAME}(-{_NAME})?")
PLACE = re.compile(rf"\b(à|au|aux|en|dans) (l[ae] |l['’])?{_NAME}([ -]{_NAME}|-\w+)*")
ORGANISATION = re.compile(rf"\b[{_UPPER}]{{2,}}[\w-]*( [{_UPPER}]\w+)*|\b(association|"
                          rf"coopérative|réseau|foncière|fondation|collectif) {_NAME}( {_NAME})*")

_ASKS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\b(quand|quelle date|en quelle année|quelle année|depuis quand|when|"
                r"what year|cu[aá]ndo)\b", re.I), DATE),
    (re.compile(r"\b(combien|quel(le)?s? (est le |sont les )?(nombre|montant|budget|taux|part|"
                r"surface|pourcentage|effectif|coût|prix)|how (many|much)|cu[aá]nt[oa]s?)\b",
                re.I), NUMBER),
    (re.compile(r"^\W*qui\b|\b(quel(le)? (sociologue|présidente?|élue?|maire|adjointe?|directeur|"
                r"directrice|personne|chercheur|chercheuse|intervenante?|fondat(eur|rice)|"
                r"responsable)|who)\b", re.I), PERSON),
    (re.compile(r"^\W*où\b|\boù (est|se|sont|a|ont)\b|\b(dans quelle (ville|commune|région|"
                r"département|quartier)|quelle (ville|commune|région)|where|d[oó]nde)\b",
                re.I), PLACE),
    (re.compile(r"\b(quel(le)?s? (association|organisme|structure|réseau|coopérative|"
                r"entreprise|fondation|foncière|ONG|partenaire|acteur|démarche|collectif)s?|"
                r"which (organi[sz]ation|association))\b", re.I), ORGANISATION),
)


@lru_cache(maxsize=1024)
def asked_pattern(question: str) -> re.Pattern[str] | None:
    """What the thing the question asks for looks like in a sentence (None: not a kind)."""
    return next((holds for asks, holds in _ASKS if asks.search(question)), None)


def _distance(span: tuple[int, int], near: Sequence[tuple[int, int]]) -> int:
    a, b = span
    return min(max(a - y, x - b, 0) for x, y in near)


def answering_span(question: str, text: str, near: Sequence[tuple[int, int]] = ()
                   ) -> tuple[int, int] | None:
    """Where in `text` the kind of thing the question asks for stands: of several, the one
    closest to the question's words `near` (offsets in `text`), else the first."""
    holds = asked_pattern(question)
    if holds is None:
        return None
    spans = []
    for m in holds.finditer(text):
        raw = m.group(0)
        core = raw.strip(" .,")
        if core:
            start = m.start() + raw.index(core)
            spans.append((start, start + len(core)))
    if not spans:
        return None
    return min(spans, key=lambda s: _distance(s, near)) if near else spans[0]
