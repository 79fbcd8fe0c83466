"""Name rules for reactions: reactions without a surname are removed.

``has_surname`` is true when, after cleaning, a name part of at least two letters follows a
given name or initials. Decisions on the cases the spec leaves open:

* Cleaning: NFKC; apostrophe styles become ``'``, dashes ``-``, zero-width spaces spaces; text in
  brackets and everything after ``,`` ``;`` ``|`` or a spaced `` - ``/`` / `` (affiliation) is
  ignored; tokens holding an e-mail address/URL, digits or other symbols are dropped.
* Surname first: ``"Jansen, J."`` / ``"Vries, J. de"`` (only initials, optionally particles, after
  the comma) count. ``"Jansen, Jan"`` does not: it cannot be told apart from ``"Jan, Utrecht"``.
* Titles are dropped, so ``"dr. Jansen"`` and ``"de heer Jansen"`` are false: the spec wants a
  given name or initials first, and ``"dr. Jan"`` looks exactly the same.
* Particles, alone or combined, never count as surname; ``"'t Hart"`` has no given name: false.
* A one-letter part, or a dotted abbreviation of at most two letters (``"Th."``), is an initial.
* Two ordinary words count (``"Jan Peter"`` is indistinguishable from ``"Jan Pieters"``).
* Placeholders: the words in ``_PLACEHOLDER_WORDS`` are dropped wherever they occur, the phrases in
  ``_PLACEHOLDER_PHRASES`` only reject the name as a whole.
* CJK/Hangul/kana: one such character is a full name part, so ``"王 小明"`` counts; a single
  unspaced string of 2-4 such characters (``"王小明"``) counts as a full name too.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u02bb`\u00b4\u2032\uff07", "'"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
_SPACES = str.maketrans(dict.fromkeys("\u00b7\u30fb\u200b\u2060\ufeff", " ") | {"\u00ad": ""})
_BRACKETS = re.compile(r"[(\[{<][^)\]}>]*[)\]}>]?")
_SEPARATORS = re.compile(r"[,;|]|\s[-/]+\s")
_PIECES = re.compile(r"[^.]+\.?|\.")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARTICLES = _words(
    "van de der den het ter ten te 't 's in op uit aan bij voor over onder tot ver vd vander "
    "vanden vande van't le la les du des d' l' von vom zu zum zur am auf dem di da del della dos "
    "das do"
)
_TITLES = _words(
    "dr drs ir ing mr prof bc ds mw mevr mevrouw dhr hr heer meneer mijnheer mej mejuffrouw "
    "juffrouw jhr jkvr jonkheer mgr mrs ms miss mister sir dame lady lord madam madame mme mlle "
    "monsieur herr frau"
)
_POSTNOMINALS = _words("msc bsc mba mpa llm llb phd jr sr ra")
_PLACEHOLDER_WORDS = _words(
    "anoniem anonymous anon onbekend unknown nn nvt test naam name iemand niemand none null xx xxx"
)
_PLACEHOLDER_PHRASES = {"een burger", "bezorgde burger", "een bezorgde burger", "geen naam"}
_CJK_RANGES = (
    (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x3134F),
)  # fmt: skip
_PARTICLE, _INITIAL, _WORD = "particle", "initial", "word"

Token = tuple[str, str]  # (kind, casefolded text)


def _is_cjk(char: str) -> bool:
    return any(lo <= ord(char) <= hi for lo, hi in _CJK_RANGES)


def _letters(text: str) -> int:
    return sum(char.isalpha() for char in text)


def _allowed(char: str) -> bool:
    return char.isalpha() or unicodedata.category(char)[0] == "M" or char in "'-\u200c\u200d"


def _edge(char: str) -> bool:
    return char != "'" and unicodedata.category(char)[0] in "PSZ"


def _classify(piece: str) -> Token | None:
    """Classify one piece of a name, or ``None`` when it is no name part at all."""
    start, end = 0, len(piece)
    while start < end and _edge(piece[start]):
        start += 1
    while end > start and _edge(piece[end - 1]):
        end -= 1
    text = piece[start:end]
    if not _letters(text) or not all(_allowed(char) for char in text):
        return None
    key = text.casefold()
    if key in _PLACEHOLDER_WORDS:
        return None
    parts = [part for part in key.split("-") if part]
    names = [part for part in parts if part not in _PARTICLES]
    if not names:
        return _PARTICLE, key
    if piece.endswith(".") and _letters(key) <= 2:
        return _INITIAL, key
    if all(_letters(part) <= 1 and not any(map(_is_cjk, part)) for part in names):
        return _INITIAL, key
    return _WORD, key


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for word in text.split():
        if "@" in word or "://" in word or word.casefold().startswith("www."):
            continue
        tokens.extend(tok for piece in _PIECES.findall(word) if (tok := _classify(piece)))
    return tokens


def _strip_titles(tokens: list[Token]) -> list[Token]:
    keys = [key for _, key in tokens]
    start, end = 0, len(tokens)
    while start < end and (keys[start] in _TITLES or keys[start : start + 2] == ["de", "heer"]):
        start += 1
    while end - start > 1 and keys[end - 1] in _POSTNOMINALS:
        end -= 1
    return tokens[start:end]


def _judge(tokens: list[Token]) -> bool:
    tokens = _strip_titles(tokens)
    if " ".join(key for _, key in tokens) in _PLACEHOLDER_PHRASES:
        return False
    if len(tokens) == 1:
        key = tokens[0][1]
        return 2 <= len(key) <= 4 and all(map(_is_cjk, key))
    seen_given = False
    for kind, _ in tokens:
        if kind == _WORD and seen_given:
            return True
        seen_given = seen_given or kind != _PARTICLE
    return False


def has_surname(name: str) -> bool:
    """Return whether ``name`` contains a surname after a given name or initials.

    Pure and linear in the length of ``name``; see the module docstring for the exact rules.
    """
    text = unicodedata.normalize("NFKC", name.translate(_APOSTROPHES))
    text = _BRACKETS.sub(" ", text.translate(_APOSTROPHES).translate(_DASHES).translate(_SPACES))
    parts = [tokens for tokens in map(_tokenize, _SEPARATORS.split(text)) if tokens]
    if not parts:
        return False
    head = parts[0]
    if len(parts) > 1:
        tail = _strip_titles(parts[1])
        kinds = {kind for kind, _ in tail}
        if _INITIAL in kinds and kinds <= {_INITIAL, _PARTICLE}:
            head = tail + head
    return _judge(head)
