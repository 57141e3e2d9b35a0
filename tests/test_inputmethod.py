"""Telex/VNI decoding of raw-typed words and Vietnamese syllable validity."""

from __future__ import annotations

import re

import pytest

from conftest import CORPUS
from searcher.vietnamese.analysis import tokenize
from searcher.vietnamese.inputmethod import (
    decode_telex,
    decode_vni,
    decode_word,
    encode_telex,
    encode_vni,
    is_valid_syllable,
)
from searcher.vietnamese.text import clean, exact_key, fold

# Tokens of the bundled corpus that are spelt with Vietnamese letters but are
# not Vietnamese syllables: acronyms, English, URL pieces, a Roman numeral.
CORPUS_NON_SYLLABLES = {
    "asean", "baoquangtri", "bch", "brics", "h", "htm", "http", "internet", "kt", "n",
    "ubnd", "usd", "vaccine", "vn", "wef", "www", "xh", "xiii", "zalo",
}  # fmt: skip

_VIETNAMESE_LETTER = re.compile(r"[a-zđ]")


def corpus_words() -> set[str]:
    """Distinct lower-cased tokens of the bundled corpus made only of Vietnamese letters."""
    words = set()
    for path in sorted(CORPUS.glob("*.txt")):
        for token in tokenize(clean(path.read_text(encoding="utf-8"))):
            word = token.text.lower()
            if all(_VIETNAMESE_LETTER.fullmatch(fold(ch)) for ch in word):
                words.add(word)
    return words


WORDS = corpus_words()
MARKED = sorted(w for w in WORDS if not w.isascii() and w not in CORPUS_NON_SYLLABLES)


def test_corpus_is_what_the_tests_expect():
    assert len(WORDS) > 600 and len(MARKED) > 400
    assert {"người", "ngoại", "đường", "việt", "quốc"} <= WORDS


# --- Syllable validity -------------------------------------------------------------------------


def test_every_corpus_syllable_is_valid_and_only_foreign_tokens_are_not():
    invalid = {w for w in WORDS if not is_valid_syllable(w)}
    assert invalid == CORPUS_NON_SYLLABLES


@pytest.mark.parametrize(
    "word",
    # Rare rhymes, gi/qu/gh/ngh onsets, bare yê, loanword oo, and folded forms.
    "khuỷu khuya quýnh huých nguệch hoạch ngoằng xoong boong soóc thuở huơ giếng gìn gì giữ giường "
    "nghiêng nghỉ ghế yêu yến uyên oẳn ưỡn ừ ơi ạ ấy ổi ước rượu hươu gửi ngửi quẹo quét que quăng "
    "quậy khuây tuần huấn tuýt huỳnh uống oái ngoẹo loè khoẻ khỏe toé choàng xoáy quạ quà quanh quách "
    "giặt kẻng xẻng kính tế bình Bắc Kạn Kon mỹ kỹ lý tỷ quý quí y ý "
    "tien duong nguoi quoc ngoai khuyu nghieng".split(),
)
def test_real_syllables_are_valid(word):
    assert is_valid_syllable(word)


@pytest.mark.parametrize(
    "word",
    # English and code words, impossible spellings, tones a stop final cannot carry, two tones.
    "bus tax class string google python java wifi html json css www http email fix jar zoo "
    "ci ce ngi ghu quu hàt hảp hãc tíến tiénh tién úe oă ă ươ uơn đ xxx dd 2024 G20 a4 việt9".split(),
)
def test_non_syllables_are_invalid(word):
    assert not is_valid_syllable(word)


@pytest.mark.parametrize("word", ["an", "to", "me", "the"])
def test_some_english_words_are_vietnamese_too(word):
    # Nothing can tell these apart from Vietnamese (an, tô, mẹ, the): the caller checks the index.
    assert is_valid_syllable(word)


def test_validity_ignores_case_and_normal_form():
    import unicodedata

    assert is_valid_syllable("NGƯỜI") and is_valid_syllable(unicodedata.normalize("NFD", "người"))
    assert not is_valid_syllable("BUS")


# --- Decoding tables ---------------------------------------------------------------------------

TELEX = [
    ("ngoaij", "ngoại"),
    ("Vieejt", "Việt"),
    ("vieejt", "việt"),
    ("vieetj", "việt"),
    ("VIEEJT", "VIỆT"),
    ("dduwowngf", "đường"),
    ("Dduwowngf", "Đường"),
    ("DDUWOWNGF", "ĐƯỜNG"),
    ("duowngf", "dường"),
    ("hoaf", "hòa"),
    ("bifnh", "bình"),
    ("binhf", "bình"),
    ("tees", "tế"),
    ("kinhs", "kính"),
    ("tieengs", "tiếng"),
    ("tieesng", "tiếng"),
    ("nguowfi", "người"),
    ("nguwowif", "người"),
    ("nguwoif", "người"),  # ưo typed without the second w still means ươ
    ("quoocs", "quốc"),
    ("thuowr", "thuở"),
    ("nhwngx", "những"),
    ("tw", "tư"),
    ("giuwx", "giữ"),
    ("gif", "gì"),
    ("khuyur", "khuỷu"),
    ("nghieeng", "nghiêng"),
    ("duongw", "dương"),  # free-style: w typed after the final
    ("ddi", "đi"),
    ("awn", "ăn"),
    ("cuar", "của"),
    ("quys", "quý"),
    ("xooong", "xoong"),  # a third o undoes the circumflex
]

VNI = [
    ("ngoai5", "ngoại"),
    ("ngoa5i", "ngoại"),
    ("Vie65t", "Việt"),
    ("Vie6t5", "Việt"),
    ("VIE65T", "VIỆT"),
    ("d9uo7ng2", "đường"),
    ("d9u7o7ng2", "đường"),
    ("Duong972", "Đường"),  # digits anywhere after the letter they modify
    ("nguo7i2", "người"),
    ("hoa2", "hòa"),
    ("quo6c1", "quốc"),
    ("thu7o73", "thuở"),
    ("a8n", "ăn"),
    ("y1", "ý"),
    ("o73", "ở"),
    ("u7", "ư"),
]

# Never rewritten: numbers, codes, English, plain Vietnamese without markers.
TRAPS = (
    "2024 G20 5 A4 a4 B1 F1 H5N1 covid19 COVID19 u23 U23 mp3 mp4 top10 win10 ipv6 k9 g7 4g "
    "class quiz ngoaiz xxx dd d9 ww aaa string google ngoai giao NAM Nam xin chao viet quoc 3a a_b việt Việt"
).split()


@pytest.mark.parametrize("raw, expected", TELEX)
def test_telex_words_decode(raw, expected):
    decoded = decode_telex(raw)
    assert decoded is not None, raw
    assert exact_key(decoded) == exact_key(expected)
    assert decoded[:1].isupper() == expected[:1].isupper() and decoded.isupper() == expected.isupper()
    assert decode_word(raw)[0] == decoded


@pytest.mark.parametrize("raw, expected", VNI)
def test_vni_words_decode(raw, expected):
    decoded = decode_vni(raw)
    assert decoded is not None, raw
    assert exact_key(decoded) == exact_key(expected)
    assert decoded[:1].isupper() == expected[:1].isupper() and decoded.isupper() == expected.isupper()
    assert decoded in decode_word(raw)


def test_exact_output_of_the_main_examples():
    assert decode_telex("ngoaij") == "ngoại"
    assert decode_vni("ngoai5") == "ngoại"
    assert decode_telex("Vieejt") == "Việt"
    assert decode_telex("VIEEJT") == "VIỆT"
    assert decode_telex("dduwowngf") == "đường"
    assert decode_telex("hoaf") in ("hòa", "hoà")
    assert decode_telex("bifnh") == "bình"


def test_upper_case_query_word_by_word():
    assert [decode_telex(w) for w in "VIEEJT NAM".split()] == ["VIỆT", None]
    assert [decode_word(w) for w in "NGOAIJ GIAO".split()] == [["NGOẠI"], []]


@pytest.mark.parametrize("raw", TRAPS)
def test_traps_are_never_rewritten(raw):
    assert decode_telex(raw) is None
    assert decode_vni(raw) is None
    assert decode_word(raw) == []


def test_english_that_spells_a_syllable_is_decoded_all_the_same():
    # Telex bus is bú and tax is tã: valid syllables, so the decoder alone cannot say no.
    # The hint for the caller is that the literal is no Vietnamese syllable, and the index knows it.
    assert decode_telex("bus") == "bú" and not is_valid_syllable("bus")
    assert decode_telex("tax") == "tã" and not is_valid_syllable("tax")
    assert decode_vni("co2") == "cò"


def test_a_word_is_read_by_the_method_it_was_typed_in():
    assert decode_word("ngoaij") == ["ngoại"]
    assert decode_word("ngoai5") == ["ngoại"]
    assert decode_vni("ngoaij") is None and decode_telex("ngoai5") is None


def test_tone_on_a_stop_final_must_be_sac_or_nang():
    assert decode_telex("vieetf") is None  # *viềt is no syllable
    assert decode_vni("viet63") is None


def test_two_tones_are_rejected():
    assert decode_telex("ngoaijs") is None
    assert decode_vni("ngoai51") is None


# --- Round trips over the corpus ---------------------------------------------------------------


def test_every_marked_corpus_word_round_trips_through_telex():
    failures = [(w, encode_telex(w), decode_telex(encode_telex(w))) for w in MARKED]
    failures = [f for f in failures if f[2] is None or exact_key(f[2]) != exact_key(f[0])]
    assert failures == []


def test_every_marked_corpus_word_round_trips_through_vni():
    failures = [(w, encode_vni(w), decode_vni(encode_vni(w))) for w in MARKED]
    failures = [f for f in failures if f[2] is None or exact_key(f[2]) != exact_key(f[0])]
    assert failures == []


def _tone_after_vowel(telex: str) -> str:
    """Move a trailing Telex tone letter to right after the vowels (``vieetj`` → ``vieejt``)."""
    if telex[-1:] not in ("s", "f", "r", "x", "j"):
        return telex
    body, tone = telex[:-1], telex[-1]
    match = re.search(r"[aeiouyw]+(?=[^aeiouyw]*$)", body)
    return body[: match.end()] + tone + body[match.end() :] if match else telex


def test_corpus_words_round_trip_with_the_tone_typed_mid_word_and_in_upper_case():
    failures = []
    for word in MARKED:
        for raw in (_tone_after_vowel(encode_telex(word)), encode_telex(word.upper())):
            decoded = decode_telex(raw)
            if decoded is None or exact_key(decoded) != exact_key(word):
                failures.append((word, raw, decoded))
        title = word[:1].upper() + word[1:]
        decoded = decode_telex(encode_telex(title))
        if decoded is None or not decoded[0].isupper() or decoded[1:] != decoded[1:].lower():
            failures.append((title, encode_telex(title), decoded))
    assert failures == []


def test_every_syllable_the_validator_accepts_round_trips():
    # Beyond the corpus: every onset x rhyme x tone the validator accepts, typed both ways.
    # Excluded: loanword rhymes with oo (Telex oo means ô; xoong is typed xooong) and one vowel
    # plus one VNI tone digit, which reads as a code (a4, o5).
    from searcher.vietnamese import inputmethod as im

    failures = []
    checked = 0
    for onset in im._ONSETS:
        for rhyme in im._RHYMES | im._QU_ONLY_RHYMES | im._BARE_RHYMES:
            if "oo" in rhyme:
                continue
            rest = rhyme[1:] if onset == "qu" and rhyme.startswith("u") else rhyme
            for tone in (None, 1, 2, 3, 4, 5):
                word = im.place_tone(onset + rest, tone)
                if word is None or word.isascii() or not is_valid_syllable(word):
                    continue
                checked += 1
                for raw in (encode_telex(word), encode_vni(word)):
                    if len(raw) == 2 and raw[1].isdigit() and raw[0] != "y":
                        continue
                    decoded = decode_word(raw)
                    if not any(exact_key(d) == exact_key(word) for d in decoded):
                        failures.append((word, raw, decoded))
    assert checked > 15000
    assert failures == []


def test_decoded_words_are_nfc_valid_syllables():
    import unicodedata

    for word in MARKED:
        for decoded in decode_word(encode_telex(word)) + decode_word(encode_vni(word)):
            assert unicodedata.is_normalized("NFC", decoded)
            assert is_valid_syllable(decoded)


def test_encoders():
    assert encode_telex("người") == "nguwowif"
    assert encode_telex("ĐƯỜNG") == "DDUWOWNGF"
    assert encode_vni("Việt") == "Vie6t5"
    assert encode_telex("ngoai") == "ngoai"
