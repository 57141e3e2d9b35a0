"""Vietnamese text typed in pre-Unicode fonts: TCVN3 (ABC, ``.VnTime``) and VNI-Windows.

Such text reaches us as mojibake: the font's bytes were read as Windows-1252 /
Latin-1, so *Việt Nam* arrives as ``ViÖt Nam`` (TCVN3) or ``Vieät Nam`` (VNI).
:func:`detect_legacy` recognises it and :func:`convert` turns it back into NFC
Unicode.  :func:`encode_tcvn3` and :func:`encode_vni` go the other way (tests
and tools use them to make such text).

TCVN3 (TCVN 5712:1993, VN3) gives every lower-case letter one byte; its
upper-case fonts (``.VnTimeH``) reuse the same bytes, so apart from the seven
capitals the standard has (Ă Â Ê Ô Ơ Ư Đ) converted text comes out in lower
case.  VNI writes a base letter followed by a byte for its marks.
"""

from __future__ import annotations

import re
import string
import unicodedata

__all__ = ["ENCODINGS", "detect_legacy", "convert", "encode_tcvn3", "encode_vni", "is_vietnamese_syllable"]

ENCODINGS = ("tcvn3", "vni")

# -- TCVN3 ---------------------------------------------------------------------

# Byte → letter, in the order of the standard's table.
_TCVN3_BYTES: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
# Bytes 0xA1-0xFE read the same in Latin-1 and Windows-1252, so chr(byte) is
# what the mis-decoded text holds.
_TCVN3_DECODE = dict(_TCVN3_BYTES)
_TCVN3_ENCODE = {letter: chr(b) for b, letter in _TCVN3_BYTES.items()}
_TCVN3_TELLTALE = frozenset(chr(b) for b in _TCVN3_BYTES)

# -- VNI-Windows ---------------------------------------------------------------

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONES = (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)

# The byte VNI writes after a base letter for each tone.
_VNI_TONE = {"": "", _ACUTE: "ù", _GRAVE: "ø", _HOOK: "û", _TILDE: "õ", _DOT: "ï"}
_VNI_CIRCUMFLEX = {"": "â", _ACUTE: "á", _GRAVE: "à", _HOOK: "å", _TILDE: "ã", _DOT: "ä"}
_VNI_BREVE = {"": "ê", _ACUTE: "é", _GRAVE: "è", _HOOK: "ú", _TILDE: "ü", _DOT: "ë"}
# i and ỵ are single bytes; ơ, ư, đ have a byte of their own that tones follow.
_VNI_I = {"": "i", _ACUTE: "í", _GRAVE: "ì", _HOOK: "æ", _TILDE: "ó", _DOT: "ò"}


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}
    for tone in ("", *_TONES):
        for base in "aeouy":
            table[unicodedata.normalize("NFC", base + tone)] = base + _VNI_TONE[tone]
        for base in "aeo":
            table[unicodedata.normalize("NFC", base + _CIRCUMFLEX + tone)] = base + _VNI_CIRCUMFLEX[tone]
        table[unicodedata.normalize("NFC", "a" + _BREVE + tone)] = "a" + _VNI_BREVE[tone]
        table[unicodedata.normalize("NFC", "o" + _HORN + tone)] = "ô" + _VNI_TONE[tone]
        table[unicodedata.normalize("NFC", "u" + _HORN + tone)] = "ö" + _VNI_TONE[tone]
        table[unicodedata.normalize("NFC", "i" + tone)] = _VNI_I[tone]
    table["ỵ"] = "î"
    for letter, code in list(table.items()):
        table[letter.upper()] = code.upper()
    # Plain letters are themselves; keep only what VNI spells differently.
    return {letter: code for letter, code in table.items() if letter != code}


_VNI_ENCODE = _build_vni()
_VNI_DECODE = {code: letter for letter, code in _VNI_ENCODE.items()}
# Longest first, so "ôù" (ớ) wins over "ô" (ơ).
_VNI_PATTERN = re.compile("|".join(re.escape(c) for c in sorted(_VNI_DECODE, key=len, reverse=True)))
_VNI_TELLTALE = frozenset(ch for code in _VNI_DECODE for ch in code if not ch.isascii())

# -- conversion ----------------------------------------------------------------


def encode_tcvn3(text: str) -> str:
    """Spell Unicode Vietnamese as TCVN3 bytes read as Latin-1 (upper case folds to lower).

    >>> encode_tcvn3("Việt Nam")
    'ViÖt Nam'
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        code = _TCVN3_ENCODE.get(ch)
        if code is None and not ch.isascii():
            code = _TCVN3_ENCODE.get(ch.lower())
        out.append(code if code is not None else ch)
    return "".join(out)


def encode_vni(text: str) -> str:
    """Spell Unicode Vietnamese as VNI-Windows bytes read as Latin-1.

    >>> encode_vni("Việt Nam")
    'Vieät Nam'
    """
    return "".join(_VNI_ENCODE.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def convert(text: str, encoding: str) -> str:
    """Turn mis-decoded legacy text (``"tcvn3"`` or ``"vni"``) into NFC Unicode.

    >>> convert("ViÖt Nam", "tcvn3"), convert("Vieät Nam", "vni")
    ('Việt Nam', 'Việt Nam')
    """
    if encoding == "tcvn3":
        result = text.translate(_TCVN3_DECODE)
    elif encoding == "vni":
        result = _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group()], text)
    else:
        raise ValueError(f"unknown legacy encoding: {encoding!r}")
    return unicodedata.normalize("NFC", result)


# -- detection -----------------------------------------------------------------

_ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
_SYLLABLE = re.compile(f"{_ONSET}[aăâeêioôơuưy]{{1,3}}(?:ng|nh|ch|[cmnpt])?")
_TONE_SET = frozenset(_TONES)
# Letters that exist only in Vietnamese Unicode text, never in Latin-1 mojibake.
_UNICODE_VIETNAMESE = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ]", re.I)
# Strip only ASCII punctuation from word edges: TCVN3 letters include «, », ¸, ­.
_EDGE = string.punctuation + string.digits + "“”‘’…–—\u00a0"
_SAMPLE_CHARS = 200_000
_MIN_WORDS = 3
_MIN_VALID_SHARE = 0.75


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` is shaped like one Vietnamese syllable with at most one tone mark.

    >>> is_vietnamese_syllable("Nguyễn"), is_vietnamese_syllable("été"), is_vietnamese_syllable("Müller")
    (True, False, False)
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for ch in decomposed if ch in _TONE_SET)
    if tones > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_SET))
    return _SYLLABLE.fullmatch(toneless) is not None


def _score(words: list[str], encoding: str, telltale: frozenset[str]) -> tuple[int, int]:
    """(words with tell-tale characters, of those how many convert to Vietnamese syllables)."""
    candidates = valid = 0
    for word in words:
        if not telltale.intersection(word):
            continue
        candidates += 1
        if is_vietnamese_syllable(convert(word, encoding)):
            valid += 1
    return candidates, valid


def detect_legacy(text: str) -> str | None:
    """Return ``"tcvn3"`` or ``"vni"`` when ``text`` is Vietnamese typed in that legacy font.

    Words holding the encoding's tell-tale characters must mostly become valid
    Vietnamese syllables once converted, so French or German text (é, ö, ü),
    and text that is already Unicode Vietnamese, are left alone.

    >>> detect_legacy("Thñ t­íng ChÝnh phñ ®¸nh gi¸ cao ngµnh ngo¹i giao ViÖt Nam")
    'tcvn3'
    >>> detect_legacy("Die Größe der Müller-Brücke überrascht schön") is None
    True
    """
    sample = text[:_SAMPLE_CHARS]
    if sample.isascii():
        return None
    words = [w for w in (raw.strip(_EDGE) for raw in sample.split()) if w and not w.isascii()]
    if not words:
        return None
    # Real Unicode Vietnamese is full of letters no Latin-1 mojibake can hold.
    unicode_words = sum(1 for w in words if _UNICODE_VIETNAMESE.search(w))
    best: tuple[int, str] | None = None
    for encoding, telltale in (("tcvn3", _TCVN3_TELLTALE), ("vni", _VNI_TELLTALE)):
        candidates, valid = _score(words, encoding, telltale)
        if candidates < _MIN_WORDS or valid < _MIN_VALID_SHARE * candidates:
            continue
        if unicode_words > 0.2 * candidates:
            continue
        if best is None or valid > best[0]:
            best = (valid, encoding)
    return best[1] if best else None


def has_unicode_vietnamese(text: str) -> bool:
    """Whether ``text`` holds letters only Unicode Vietnamese has (so it needs no conversion)."""
    return _UNICODE_VIETNAMESE.search(text) is not None
