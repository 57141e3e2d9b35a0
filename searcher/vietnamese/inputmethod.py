"""Vietnamese syllable validity and decoding of Telex/VNI-typed words.

Vietnamese input methods are often broken inside terminals, so users type the
raw keystrokes instead: Telex ``ngoaij`` or VNI ``ngoai5`` for *ngoại*.  This
module turns one such word back into Vietnamese, and checks that the result is
a real Vietnamese syllable (onset + rhyme + at most one tone).

Everything is pure Python (no Whoosh), written from the input methods' rules.

The decoders cannot tell an English word from a Telex one when both read
well: ``bus`` is Telex for *bú*, ``tax`` for *tã*, and both are valid
syllables.  Deciding whether to rewrite is the caller's job (keep the literal
when the index knows it); these functions only say what the keystrokes mean.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "is_valid_syllable",
    "decode_telex",
    "decode_vni",
    "decode_word",
    "encode_telex",
    "encode_vni",
    "place_tone",
]

# Combining tone marks, numbered sắc 1, huyền 2, hỏi 3, ngã 4, nặng 5.
_TONE_MARK = {1: "\u0301", 2: "\u0300", 3: "\u0309", 4: "\u0303", 5: "\u0323"}
_MARK_TONE = {"\u0301": 1, "\u0341": 1, "\u0300": 2, "\u0340": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}

# Letters a syllable may be spelt with once its tone is removed (f j w z never occur).
_LETTERS = frozenset("abcdeghiklmnopqrstuvxyăâđêôơư")
_VOWELS = frozenset("aeiouyăâêôơư")

_ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip

# Rhymes (medial + nucleus + final, no tone).  Enumerated rather than composed
# because the combinations allowed are irregular (ăm but no ăi, ênh but no enh).
_RHYMES = frozenset(
    """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êng êp êt êu
    i ia ich im in inh ip it iu
    iêc iêm iên iêng iêp iêt iêu
    o oc oi om on ong op ot ooc oong
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut
    uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưm ưn ưng ưt ưu
    ươc ươi ươm ươn ương ươp ươt ươu
    y
    oa oac oach oai oam oan oang oanh oao oap oat oay
    oăc oăm oăn oăng oăt
    oe oen oeo oet
    uân uâng uât uây
    uê uêch uênh uêt
    uơ
    uy uya uych uyn uynh uyp uyt uyu uyên uyêt
    """.split()
)
# Medial u before a, e and ă is only ever spelt after q (quan, quen, quăng);
# elsewhere it is o (hoan, khoe).
_QU_ONLY_RHYMES = frozenset(
    "ua uac uach uai uan uang uanh uao uat uay ue uen uet ueo uăc uăm uăn uăng uăt".split()
)
# The iê rhymes are spelt yê when nothing comes before them (yêu, yên).
_BARE_RHYMES = frozenset("yêm yên yêng yêt yêu".split())



def _strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


# Folded text (``tien``, ``duong``) is unmarked Vietnamese too: the same rhymes
# with their vowel marks dropped.
_RHYME_SETS = {
    False: (_RHYMES, _QU_ONLY_RHYMES, _BARE_RHYMES),
    True: tuple(frozenset(_strip_marks(r) for r in rhymes) for rhymes in (_RHYMES, _QU_ONLY_RHYMES, _BARE_RHYMES)),
}

_STOP_FINALS = ("c", "ch", "p", "t")
_FRONT = ("i", "e", "ê", "y")


def _split_tone(word: str) -> tuple[str, int | None] | None:
    """``(base, tone)`` of a word, or None when it carries two tone marks."""
    tone = None
    kept = []
    for ch in unicodedata.normalize("NFD", word):
        mark = _MARK_TONE.get(ch)
        if mark is None:
            kept.append(ch)
        elif tone is None:
            tone = mark
        else:
            return None
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _onset_allows(onset: str, rest: str) -> bool:
    # The spelling rules for /k/ and /ɣ/ /ŋ/, kept loose where loanwords and
    # place names bend them (Bắc Kạn, Kon Tum spell k before a and o).
    first = rest[:1]
    if onset in ("gh", "ngh"):
        return first in ("i", "e", "ê")
    if onset == "c":
        return first not in _FRONT
    if onset == "ng":
        return first not in ("i", "e", "ê")
    if onset == "g":
        return first not in ("e", "ê")
    return True


def _rhyme_ok(onset: str, rest: str, folded: bool) -> bool:
    rhymes, qu_only, bare = _RHYME_SETS[folded]
    if onset == "qu":
        if not rest or rest[0] == "u":
            return False
        rhyme = "u" + rest
        return rhyme in rhymes or rhyme in qu_only
    if onset == "":
        return rest in rhymes or rest in bare
    return rest in rhymes and _onset_allows(onset, rest)


def is_valid_syllable(word: str) -> bool:
    """Tell whether ``word`` (NFC, any case, marked or not) is a Vietnamese syllable.

    A syllable is an onset, a rhyme (medial, nucleus, final) and at most one
    tone; a stop final (c ch p t) takes only sắc, nặng or no mark, since an
    unmarked word may be a folded one.  A word with no mark at all is valid
    when some marking of it is (``tien`` for *tiên*, *tiền*, *tiến*…); one
    with a tone but missing vowel marks is not (``tién``).  The k/c/q and g/gh spelling rules are
    applied loosely.

    >>> is_valid_syllable("người"), is_valid_syllable("ngoại"), is_valid_syllable("khuỷu")
    (True, True, True)
    >>> is_valid_syllable("bus"), is_valid_syllable("class"), is_valid_syllable("hàt")
    (False, False, False)
    """
    if not word:
        return False
    split = _split_tone(word.lower())
    if split is None:
        return False
    base, tone = split
    if not set(base) <= _LETTERS:
        return False
    folded = tone is None and base.isascii()
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        rest = base[len(onset) :]
        if not _rhyme_ok(onset, rest, folded):
            continue
        if tone in (2, 3, 4) and rest.endswith(_STOP_FINALS):
            continue
        return True
    return False


# ---------------------------------------------------------------------------
# Decoding


def _split_onset(base: str) -> tuple[str, str]:
    """Longest onset of ``base`` (gi and qu only when a vowel follows)."""
    for onset in _ONSETS:
        if base.startswith(onset):
            if onset in ("gi", "qu") and base[2:3] not in _VOWELS:
                continue
            return onset, base[len(onset) :]
    return "", base


def place_tone(base: str, tone: int | None) -> str | None:
    """Put ``tone`` on the right vowel of ``base`` (old style: *hòa*, *thủy*); None without a vowel.

    >>> place_tone("hoa", 2), place_tone("thuy", 3)  # tones by Telex order: s f r x j = 1..5
    ('hòa', 'thủy')

    Where the tone sits does not change the exact key, so any consistent
    placement would do; this is the one the bundled corpus uses.
    """
    if tone is None:
        return base
    onset, rest = _split_onset(base)
    run = 0
    while run < len(rest) and rest[run] in _VOWELS:
        run += 1
    if run == 0:
        return None
    marked = [i for i in range(run) if rest[i] in "ăâêôơư"]
    if marked:
        at = marked[-1]
    elif run < len(rest) or run == 1:
        at = run - 1
    elif run == 2:
        at = 0
    else:
        at = 1
    out = onset + rest[: at + 1] + _TONE_MARK[tone] + rest[at + 1 :]
    return unicodedata.normalize("NFC", out)


# Typists (and IMEs) write the ươ pair loosely: uơ/ưo before a final, ươ with
# none.  Only one spelling of each is a syllable, so settle on it.
_FIXUPS = (
    (re.compile(r"^qư"), "qu"),
    (re.compile(r"ưo|uơ(?=[a-zđ])"), "ươ"),
    (re.compile(r"ươ$"), "uơ"),
)


def _fix_horns(base: str) -> str:
    for pattern, repl in _FIXUPS:
        base = pattern.sub(repl, base)
    return base


def _with_case(raw: str, decoded: str) -> str:
    letters = [ch for ch in raw if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return decoded.upper()
    if raw[:1].isupper():
        return decoded[:1].upper() + decoded[1:]
    return decoded


def _finish(raw: str, chars: list[str], tone: int | None) -> str | None:
    base = _fix_horns("".join(chars))
    word = place_tone(base, tone)
    if word is None or not is_valid_syllable(word):
        return None
    return _with_case(raw, word)


_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"a": "ă", "o": "ơ", "u": "ư"}
# z (remove the tone) is left out on purpose: it adds nothing to a plain word
# and would turn English into Vietnamese (quiz → qui).
_TELEX_TONES = {"s": 1, "f": 2, "r": 3, "x": 4, "j": 5}


def _apply_w(out: list[str]) -> bool:
    """Apply a Telex ``w`` to the letters typed so far; False when it has no vowel to modify."""
    # Right after a, o or u it modifies that letter; after a final consonant
    # it reaches back into the vowel run (free-style typing: ``duongw``).
    end = len(out)
    while end and out[end - 1] not in _VOWELS:
        end -= 1
    start = end
    while start and out[start - 1] in _VOWELS:
        start -= 1
    run = "".join(out[start:end])
    if "uo" in run and not (start and out[start - 1] == "q" and run.startswith("uo")):
        i = start + run.index("uo")
        out[i : i + 2] = ["ư", "ơ"]
        return True
    for i in range(end - 1, start - 1, -1):
        if out[i] in _HORN:
            if out[i] == "o" and i and out[i - 1] == "ư":
                out[i] = "ơ"
            else:
                out[i] = _HORN[out[i]]
            return True
    return False


def decode_telex(word: str) -> str | None:
    """Decode one Telex-typed word into NFC Vietnamese, keeping its case pattern.

    Returns None when the word has no Telex marker or does not decode to a
    valid syllable.  English words can decode validly (``bus`` → *bú*): the
    caller decides whether to trust the literal.

    >>> decode_telex("ngoaij"), decode_telex("Vieejt"), decode_telex("dduwowngf")
    ('ngoại', 'Việt', 'đường')
    >>> decode_telex("VIEEJT"), decode_telex("ngoai"), decode_telex("class")
    ('VIỆT', None, None)
    """
    if not word.isascii() or not word.isalpha():
        return None
    s = word.lower()
    # The tone letter: any of s f r x j after the first vowel; no
    # syllable has one of them there, while s x r before it are onsets.
    first_vowel = next((i for i, ch in enumerate(s) if ch in "aeiouyw"), None)
    if first_vowel is None:
        return None
    tone_at = [i for i in range(first_vowel + 1, len(s)) if s[i] in _TELEX_TONES]
    if len(tone_at) > 1:
        return None
    marked = bool(tone_at)
    tone = _TELEX_TONES[s[tone_at[0]]] if tone_at else None
    if tone_at:
        s = s[: tone_at[0]] + s[tone_at[0] + 1 :]

    out: list[str] = []
    if s.startswith("dd"):
        out.append("đ")
        s = s[2:]
        marked = True
    for ch in s:
        if ch in _CIRCUMFLEX and out and out[-1] == ch:
            out[-1] = _CIRCUMFLEX[ch]
            marked = True
        elif ch in _CIRCUMFLEX and out and out[-1] == _CIRCUMFLEX[ch]:
            out[-1:] = [ch, ch]  # a third o undoes ô, as in IMEs: xooong → xoong
        elif ch == "w":
            if not _apply_w(out):
                out.append("ư")  # a lone w stands for ư (tw → tư)
            marked = True
        else:
            out.append(ch)
    if not marked:
        return None
    return _finish(word, out, tone)


_VNI_QUALITY = {"6": ("aeo", _CIRCUMFLEX), "8": ("a", {"a": "ă"}), "9": ("d", {"d": "đ"})}


def decode_vni(word: str) -> str | None:
    """Decode one VNI-typed word into NFC Vietnamese, keeping its case pattern.

    Digits follow the letter they modify, anywhere after it: 1–5 tones
    (sắc huyền hỏi ngã nặng), 6 â ê ô, 7 ơ ư, 8 ă, 9 đ.  Returns None when the
    word is no VNI: no digit, a digit first, a 0, two tones, a digit with
    nothing to modify, or one letter and one tone digit (``A4``, ``B1``: paper
    sizes and codes; ``y1`` for *ý* is the exception).

    >>> decode_vni("ngoai5"), decode_vni("Vie65t"), decode_vni("d9uo7ng2")
    ('ngoại', 'Việt', 'đường')
    >>> decode_vni("G20"), decode_vni("A4"), decode_vni("covid19")
    (None, None, None)
    """
    if not word.isascii() or not word.isalnum() or not word[:1].isalpha():
        return None
    s = word.lower()
    digits = [ch for ch in s if ch.isdigit()]
    if not digits or "0" in digits:
        return None
    if len(s) == 2 and digits[0] in "12345" and s[0] != "y":
        return None
    out: list[str] = []
    tone: int | None = None
    for ch in s:
        if ch.isalpha():
            out.append(ch)
        elif ch in "12345":
            if tone is not None or not any(c in _VOWELS for c in out):
                return None
            tone = int(ch)
        elif ch == "7":
            i = next((i for i in range(len(out) - 1, -1, -1) if out[i] in "ou"), None)
            if i is None:
                return None
            if out[i] == "o" and i and out[i - 1] == "u" and not (i > 1 and out[i - 2] == "q"):
                out[i - 1] = "ư"
            out[i] = _HORN[out[i]]
        else:
            targets, table = _VNI_QUALITY[ch]
            i = next((i for i in range(len(out) - 1, -1, -1) if out[i] in targets), None)
            if i is None:
                return None
            out[i] = table[out[i]]
    return _finish(word, out, tone)


def decode_word(word: str) -> list[str]:
    """All the valid readings of a raw-typed word (Telex first, then VNI), without duplicates.

    What a query planner tries against the index when the literal word fails.

    >>> decode_word("ngoaij"), decode_word("ngoai5"), decode_word("ngoai")
    (['ngoại'], ['ngoại'], [])
    """
    found: list[str] = []
    for decoded in (decode_telex(word), decode_vni(word)):
        if decoded is not None and decoded not in found:
            found.append(decoded)
    return found


# ---------------------------------------------------------------------------
# Encoding (for tests and benchmarks: what a user without an IME would type)

_TELEX_QUALITY = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # None: double the letter
_VNI_MARKS = {"\u0302": "6", "\u031b": "7", "\u0306": "8"}


def _encode(word: str, telex: bool) -> str:
    tone = ""
    out = []
    upper = word.isupper() and len(word) > 1
    for ch in unicodedata.normalize("NFD", word):
        if ch in _MARK_TONE:
            tone = "sfrxj"[_MARK_TONE[ch] - 1] if telex else str(_MARK_TONE[ch])
        elif ch in ("đ", "Đ"):
            d = "D" if ch == "Đ" else "d"
            out.append(d + d if telex else d + "9")
        elif telex and ch in _TELEX_QUALITY:
            extra = _TELEX_QUALITY[ch] or out[-1].lower()
            out.append(extra.upper() if upper else extra)
        elif not telex and ch in _VNI_MARKS:
            out.append(_VNI_MARKS[ch])
        else:
            out.append(ch)
    return "".join(out) + (tone.upper() if upper else tone)


def encode_telex(word: str) -> str:
    """Spell a Vietnamese word as Telex keystrokes, tone letter last.

    >>> encode_telex("người"), encode_telex("Việt"), encode_telex("ĐƯỜNG")
    ('nguwowif', 'Vieetj', 'DDUWOWNGF')
    """
    return _encode(word, telex=True)


def encode_vni(word: str) -> str:
    """Spell a Vietnamese word as VNI keystrokes, tone digit last.

    >>> encode_vni("người"), encode_vni("Việt"), encode_vni("đường")
    ('ngu7o7i2', 'Vie6t5', 'd9u7o7ng2')
    """
    return _encode(word, telex=False)
