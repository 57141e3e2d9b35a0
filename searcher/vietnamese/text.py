"""Vietnamese text normalization: cleaning, folding and tone-placement-canonical keys.

Everything here is pure Python with no third-party imports except ``unidecode``
(loaded lazily, only for letters outside Vietnamese), so it is cheap to import
and safe to use from any layer.

Three forms of a syllable matter to the engine:

* the **original** text, NFC, kept for display and highlighting;
* the **exact key** (:func:`exact_key`): lower case, diacritics kept, the tone
  mark moved out of the letters so that its placement no longer matters
  (*hoà* and *hòa* give the same key, *ngoại* and *ngoài* do not);
* the **folded** form (:func:`fold`): lower case ASCII-ish, no diacritics,
  *đ/Đ/Ð* become *d* (*Đường* → ``duong``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "clean",
    "clean_line",
    "exact_key",
    "fold",
    "has_marks",
    "iy_variant",
    "exact_term",
    "folded_term",
    "iy_sensitive",
    "TONE_MARKS",
]

# Characters that carry no text but break tokens or shift offsets.  NBSP and
# the other fixed-width spaces become a plain space; the zero-width family,
# soft hyphen and BOM are removed outright.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_CLEAN_TABLE = {ord(c): " " for c in _SPACES} | {ord(c): None for c in _INVISIBLE}
# str.translate with a dict looks every character up (5 s for a 50 MB file); these
# characters are rare, so a regex search in C decides whether it is needed at all.
_CLEAN_NEEDED = re.compile("[" + re.escape(_SPACES + _INVISIBLE) + "]")

# The five Vietnamese tone marks as combining characters, numbered in the
# VNI/Telex order (sắc 1, huyền 2, hỏi 3, ngã 4, nặng 5).  U+0340/U+0341 are
# deprecated duplicates of grave/acute that some old tools still emit.
TONE_MARKS: dict[str, str] = {
    "\u0301": "1",  # acute   (sắc)
    "\u0341": "1",
    "\u0300": "2",  # grave   (huyền)
    "\u0340": "2",
    "\u0309": "3",  # hook    (hỏi)
    "\u0303": "4",  # tilde   (ngã)
    "\u0323": "5",  # dot     (nặng)
}

TONE_SEPARATOR = "~"

# Letters with a stroke have no decomposition, so NFD alone cannot fold them.
# U+00D0/U+00F0 (Icelandic eth) are used for Đ/đ in real Vietnamese text.
_D_LETTERS = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ɖ": "d"}


def clean(text: str) -> str:
    """Return ``text`` in NFC with line ends unified and invisible characters removed.

    CRLF and lone CR become LF, NBSP-like spaces become a space, zero-width
    characters, soft hyphens and BOMs disappear.

    >>> clean("Vie\\u0323\\u0302t\\u00a0Nam\\r\\n")
    'Việt Nam\\n'
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CLEAN_NEEDED.search(text):
        text = text.translate(_CLEAN_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def clean_line(text: str) -> str:
    """Like :func:`clean`, for text that must stay on one line (queries, titles).

    >>> clean_line("ngoại\\ngiao")
    'ngoại giao'
    """
    return " ".join(clean(text).split())


@lru_cache(maxsize=200_000)
def exact_key(token: str) -> str:
    """Return the diacritic-exact, tone-placement-insensitive key of one token.

    The token is lower-cased and decomposed, its tone mark is removed and
    appended as ``~`` and a digit (``~`` never occurs inside a token, so the
    key of *ã* cannot collide with the token ``A4``), and the rest is recomposed.  Quality marks (ă â ê ô ơ ư)
    and đ are kept, so distinct words stay distinct.

    >>> exact_key("Hoà"), exact_key("hòa")
    ('hoa~2', 'hoa~2')
    >>> exact_key("ngoại"), exact_key("ngoài")
    ('ngoai~5', 'ngoai~2')
    >>> exact_key("Việt"), exact_key("viết")
    ('viêt~5', 'viêt~1')
    >>> exact_key("Ðà") == exact_key("Đà")
    True
    """
    low = token.lower()
    if low.isascii():
        return low
    if "ð" in low:
        low = low.replace("ð", "đ")  # Icelandic eth, typed for đ in real Vietnamese text
    decomposed = unicodedata.normalize("NFD", low)
    tone = ""
    kept = []
    for ch in decomposed:
        mark = TONE_MARKS.get(ch)
        if mark is None:
            kept.append(ch)
        elif not tone:
            tone = mark
    base = unicodedata.normalize("NFC", "".join(kept))
    return f"{base}{TONE_SEPARATOR}{tone}" if tone else base


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Return the diacritic-free form of a token: lower case, no marks, đ → d.

    Letters outside Vietnamese go through ``unidecode`` when it gives a plain
    alphanumeric result, so folding never creates spaces or empty tokens.

    >>> fold("ĐƯỜNG"), fold("ngoại"), fold("Ðơn")
    ('duong', 'ngoai', 'don')
    """
    low = token.lower()
    if low.isascii():
        return low
    out = []
    for ch in unicodedata.normalize("NFD", low):
        if ch.isascii():
            out.append(ch)
        elif ch in _D_LETTERS:
            out.append("d")
        elif unicodedata.combining(ch):
            continue
        else:
            out.append(_fold_foreign(ch))
    return "".join(out)


@lru_cache(maxsize=4096)
def _fold_foreign(ch: str) -> str:
    from unidecode import unidecode  # only needed for non-Vietnamese letters

    ascii_form = unidecode(ch).lower()
    if ascii_form and ascii_form.isalnum():
        return ascii_form
    return ch


_MARKED = re.compile(r"[^\x00-\x7f]")


def has_marks(text: str) -> bool:
    """Tell whether the user typed any diacritic (or đ) in ``text``.

    >>> has_marks("ngoai giao"), has_marks("ngoại giao"), has_marks("đi")
    (False, True, True)
    """
    return any(fold(ch) != ch.lower() for ch in _MARKED.findall(clean(text)))


# Final i and y are two spellings of one vowel after these onsets (kỹ/kĩ, lý/lí,
# quý/quí).  After any other letter they differ: uy is not ui (tuy/tui), ay is
# not ai, and a syllable-initial y (ý, yêu) has no i twin.  In qu the u is the
# onset, which is why quy/qui merge while tuy/tui do not.
_IY_SPELLING = re.compile(r"^([hklmstv]|qu)y(?=~|$)")


def iy_variant(key_or_word: str) -> str:
    """Map a folded syllable or an exact key to its i-spelling when i and y are interchangeable.

    Give it :func:`fold` or :func:`exact_key` output (lower case); anything
    else comes back unchanged.

    >>> iy_variant(exact_key("kỹ")), iy_variant(exact_key("kĩ")), iy_variant("quy")
    ('ki~4', 'ki~4', 'qui')
    >>> iy_variant("tuy"), iy_variant("hay"), iy_variant(exact_key("ý"))
    ('tuy', 'hay', 'y~1')
    """
    return _IY_SPELLING.sub(r"\1i", key_or_word, count=1)


_IY_EITHER = re.compile(r"^([hklmstv]|qu)[iy](?=~|$)")


def iy_sensitive(key_or_word: str) -> bool:
    """Whether this folded syllable or exact key is one whose final i/y :func:`iy_variant` merges.

    >>> iy_sensitive("ly"), iy_sensitive("li"), iy_sensitive("tuy"), iy_sensitive("y")
    (True, True, False, False)
    """
    return _IY_EITHER.match(key_or_word) is not None


@lru_cache(maxsize=200_000)
def exact_term(token: str) -> str:
    """The ``exact`` index term of a token: its :func:`exact_key`, with final i/y spelled one way.

    >>> exact_term("kỹ"), exact_term("Kĩ"), exact_term("tuỳ")
    ('ki~4', 'ki~4', 'tuy~2')
    """
    return iy_variant(exact_key(token))


@lru_cache(maxsize=200_000)
def folded_term(token: str) -> str:
    """The ``folded`` index term of a token: its :func:`fold`, with final i/y spelled one way.

    >>> folded_term("lý"), folded_term("QUÝ"), folded_term("Y")
    ('li', 'qui', 'y')
    """
    return iy_variant(fold(token))
