"""Normalization: folding, tone-placement-canonical exact keys, cleaning."""

from __future__ import annotations

import unicodedata

import pytest

from searcher.vietnamese.text import clean, clean_line, exact_key, fold, has_marks, iy_variant

# Every Vietnamese vowel with every tone, written out literally (NFC):
# none, sắc (acute), huyền (grave), hỏi (hook), ngã (tilde), nặng (dot below).
TONES = ["none", "sắc", "huyền", "hỏi", "ngã", "nặng"]
TONE_MARKS = [None, "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
VOWELS = {
    "a": ("a", "aáàảãạ"),
    "ă": ("a", "ăắằẳẵặ"),
    "â": ("a", "âấầẩẫậ"),
    "e": ("e", "eéèẻẽẹ"),
    "ê": ("e", "êếềểễệ"),
    "i": ("i", "iíìỉĩị"),
    "o": ("o", "oóòỏõọ"),
    "ô": ("o", "ôốồổỗộ"),
    "ơ": ("o", "ơớờởỡợ"),
    "u": ("u", "uúùủũụ"),
    "ư": ("u", "ưứừửữự"),
    "y": ("y", "yýỳỷỹỵ"),
}

CASES = [
    pytest.param(vowel, plain, tone_index, letter, id=f"{vowel}-{TONES[tone_index]}")
    for vowel, (plain, letters) in VOWELS.items()
    for tone_index, letter in enumerate(letters)
]


def forms(letter: str) -> dict[str, str]:
    """The same letter as NFC/NFD, lower/upper case."""
    upper = letter.upper()
    return {
        "nfc": letter,
        "nfd": unicodedata.normalize("NFD", letter),
        "NFC": unicodedata.normalize("NFC", upper),
        "NFD": unicodedata.normalize("NFD", upper),
    }


@pytest.mark.parametrize("vowel, plain, tone_index, letter", CASES)
def test_vowel_table_is_what_it_claims(vowel, plain, tone_index, letter):
    # Guard the literal table itself: one precomposed code point, right base, right tone.
    assert len(letter) == 1 and unicodedata.is_normalized("NFC", letter)
    decomposed = unicodedata.normalize("NFD", letter)
    assert decomposed[0] == plain
    mark = TONE_MARKS[tone_index]
    if mark is None:
        assert not set(decomposed) & set(TONE_MARKS[1:])
    else:
        assert mark in decomposed


@pytest.mark.parametrize("vowel, plain, tone_index, letter", CASES)
def test_fold_gives_plain_ascii_vowel(vowel, plain, tone_index, letter):
    for name, form in forms(letter).items():
        assert fold(form) == plain, (name, form)
    # Inside a word too, and the whole word is ASCII.
    word = "ng" + letter + "n"
    for name, form in forms(word).items():
        assert fold(form) == f"ng{plain}n", (name, form)
        assert fold(form).isascii()


@pytest.mark.parametrize("vowel, plain, tone_index, letter", CASES)
def test_exact_key_ignores_normal_form_and_case(vowel, plain, tone_index, letter):
    for word in (letter, "ng" + letter + "n", "Th" + letter):
        keys = {name: exact_key(form) for name, form in forms(word).items()}
        assert len(set(keys.values())) == 1, keys


@pytest.mark.parametrize("vowel", list(VOWELS))
def test_distinct_tones_give_distinct_exact_keys(vowel):
    letters = VOWELS[vowel][1]
    keys = [exact_key(letter) for letter in letters]
    assert len(set(keys)) == 6, dict(zip(TONES, keys, strict=True))
    # ... also inside a syllable, and after NFD/upper-casing.
    syllable_keys = [exact_key(unicodedata.normalize("NFD", ("ng" + letter + "n").upper())) for letter in letters]
    assert len(set(syllable_keys)) == 6


def test_vowel_qualities_stay_distinct_in_exact_keys():
    # a/ă/â, e/ê, o/ô/ơ, u/ư are different letters (different words), only fold merges them.
    for tone_index in range(6):
        keys = [exact_key(letters[tone_index]) for letters in (v[1] for v in VOWELS.values())]
        assert len(set(keys)) == len(VOWELS), keys
    assert fold("tân") == fold("tăn") == fold("tan") == "tan"
    assert len({exact_key("tân"), exact_key("tăn"), exact_key("tan")}) == 3


@pytest.mark.parametrize(
    "old, new",
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("qúy", "quý"), ("toà", "tòa"), ("khoẻ", "khỏe"), ("uỷ", "ủy")],
)
def test_tone_placement_variants_share_exact_key(old, new):
    assert old != new  # really different spellings
    assert exact_key(old) == exact_key(new)
    assert exact_key(old.upper()) == exact_key(unicodedata.normalize("NFD", new))
    assert exact_key(old.capitalize()) == exact_key(new)
    assert fold(old) == fold(new)


@pytest.mark.parametrize("a, b", [("ngoại", "ngoài"), ("Việt", "viết"), ("hoà", "hoá"), ("thuỷ", "thuý")])
def test_different_words_keep_different_exact_keys(a, b):
    assert fold(a) == fold(b)
    assert exact_key(a) != exact_key(b)
    assert exact_key(unicodedata.normalize("NFD", a)) != exact_key(b.upper())


@pytest.mark.parametrize("letter", ["đ", "Đ", "\u00d0", "\u00f0"])
def test_d_with_stroke_and_lookalikes_fold_to_d(letter):
    assert fold(letter) == "d"
    assert fold(letter + "ường") == "duong"
    assert fold(letter + "à") == "da"


def test_fold_words():
    assert fold("ĐƯỜNG") == "duong"
    assert fold(unicodedata.normalize("NFD", "ĐƯỜNG")) == "duong"
    assert fold("Ngoại") == "ngoai"
    assert fold("\u00d0ơn") == "don"  # Icelandic eth used as Đ
    assert fold("G20") == "g20"


def test_exact_key_keeps_d_with_stroke():
    assert exact_key("Đà") == exact_key("đà") != exact_key("da")


def test_clean_replaces_nbsp_and_removes_invisible_characters():
    assert clean("Việt\u00a0Nam") == "Việt Nam"
    assert clean("ngo\u200bại") == "ngoại"
    assert clean("ngo\u00adại giao") == "ngoại giao"
    assert clean("\ufeffViệt Nam") == "Việt Nam"
    assert clean("a\u200c\u200d\u2060b") == "ab"
    assert clean("ascii\u00a0only") == "ascii only"


def test_clean_unifies_line_ends():
    assert clean("một\r\nhai\r\n") == "một\nhai\n"
    assert clean("một\rhai\rba") == "một\nhai\nba"
    assert clean("a\r\n\r\nb\rc") == "a\n\nb\nc"
    assert "\r" not in clean("x\r\r\n\ry")
    assert clean("x\r\r\n\ry").count("\n") == 3


def test_clean_turns_nfd_into_nfc():
    nfd = unicodedata.normalize("NFD", "Ngoại giao Việt Nam, hòa bình")
    assert nfd != "Ngoại giao Việt Nam, hòa bình"
    out = clean(nfd)
    assert out == "Ngoại giao Việt Nam, hòa bình"
    assert unicodedata.is_normalized("NFC", out)


def test_clean_keeps_offsets_of_plain_text():
    text = "Ngoại giao kinh tế.\nHòa bình"
    assert clean(text) == text


def test_clean_line_joins_lines():
    assert clean_line("ngoại\r\ngiao \u00a0 kinh\ttế ") == "ngoại giao kinh tế"


@pytest.mark.parametrize(
    "text, marked",
    [("ngoai giao", False), ("NGOAI", False), ("ngoại giao", True), ("đi", True), ("Ðà", True), ("G20 8%", False)],
)
def test_has_marks(text, marked):
    assert has_marks(text) is marked
    assert has_marks(unicodedata.normalize("NFD", text)) is marked


@pytest.mark.parametrize("marked, plain", [("ã", "A4"), ("á", "a1"), ("Ả", "A3"), ("mã", "MA4"), ("\u0301", "1")])
def test_exact_keys_of_marked_words_never_equal_plain_tokens(marked, plain):
    # Regression (found while writing this suite, fixed in b100dcf): the tone digit used to be glued to
    # the letters, so searching the word "ã" treated the paper size "A4" as an exact-diacritic match.
    assert exact_key(marked) != exact_key(plain)


# --- i/y spelling variants ---------------------------------------------------------------------

IY_PAIRS = [("kỹ", "kĩ"), ("lý", "lí"), ("mỹ", "mĩ"), ("sỹ", "sĩ"), ("tỷ", "tỉ"), ("hy", "hi"), ("quý", "quí"),
            ("Kỳ", "kì"), ("vy", "vi"), ("QUÝ", "quí")]  # fmt: skip


@pytest.mark.parametrize("y_form, i_form", IY_PAIRS)
def test_iy_spellings_of_one_word_share_a_key(y_form, i_form):
    assert exact_key(y_form) != exact_key(i_form)  # the index still sees two spellings...
    assert iy_variant(exact_key(y_form)) == iy_variant(exact_key(i_form))  # ...this rule joins them
    assert iy_variant(fold(y_form)) == iy_variant(fold(i_form))


@pytest.mark.parametrize(
    "key, canonical",
    [("ky~4", "ki~4"), ("ki~4", "ki~4"), ("ly", "li"), ("li", "li"), ("quy", "qui"), ("quy~1", "qui~1"),
     ("ty~3", "ti~3"), ("hy", "hi"), ("my~4", "mi~4")],
)
def test_iy_variant_chooses_i(key, canonical):
    assert iy_variant(key) == canonical


@pytest.mark.parametrize(
    "a, b",
    [("tuy", "tui"), ("huy", "hui"), ("thủy", "thủi"), ("ay", "ai"), ("hay", "hai"),
     ("tay", "tai"), ("may", "mai"), ("máy", "mái"), ("ý", "í"), ("y", "i"), ("nguy", "ngui")],
)
def test_iy_variant_keeps_different_words_apart(a, b):
    for form in (exact_key, fold):
        assert iy_variant(form(a)) != iy_variant(form(b)), (a, b, form.__name__)


@pytest.mark.parametrize(
    "word",
    ["y", "ý", "yêu", "yên", "hay", "tay", "may", "ay", "tuy", "huy", "thủy", "quyết", "quyền", "kýt", "lyn",
     "khuya", "thy", "nhy", "ngoại", "kinh"],
)
def test_iy_variant_leaves_other_syllables_alone(word):
    key = exact_key(word)
    assert iy_variant(key) == key
    assert iy_variant(fold(word)) == fold(word)
