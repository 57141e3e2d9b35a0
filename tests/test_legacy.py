"""Legacy Vietnamese encodings: TCVN3 and VNI text is recognised and turned back into Unicode."""

from __future__ import annotations

import unicodedata

import pytest

from searcher.vietnamese.legacy import convert, detect_legacy, encode_tcvn3, encode_vni, is_vietnamese_syllable
from tests.conftest import CORPUS

SENTENCES = [
    line.strip()
    for path in sorted(CORPUS.glob("*.txt"))
    for line in path.read_text(encoding="utf-8").splitlines()[:6]
    if len(line.split()) >= 8
]

FRENCH = (
    "Le café était très bon, où nous avons dîné à côté de la fenêtre. Déjà là, les élèves "
    "préféraient être à Paris pour l'été ; ça leur plaît énormément, même en hiver où il gèle."
)
GERMAN = (
    "Die Größe der Müller-Brücke überrascht schön. Für Ökonomen können Änderungen später "
    "hören, daß Bäume blühen; Übung macht den Meister, sagt die Lehrerin aus München."
)
SPANISH = "El año pasado, la señora Núñez viajó a Córdoba y comió paella en el jardín de su tía."
ENGLISH = "The committee reviewed the quarterly budget and approved the new transport plan."


def test_the_corpus_gives_enough_sentences_to_test_with() -> None:
    assert len(SENTENCES) >= 10


@pytest.mark.parametrize("sentence", SENTENCES[:20])
def test_vni_round_trip_is_exact(sentence: str) -> None:
    encoded = encode_vni(sentence)
    assert encoded != sentence
    assert convert(encoded, "vni") == unicodedata.normalize("NFC", sentence)


@pytest.mark.parametrize("sentence", SENTENCES[:20])
def test_tcvn3_round_trip_is_exact_up_to_case(sentence: str) -> None:
    # .VnTimeH capitals share the lower-case code points, so case is lost.
    encoded = encode_tcvn3(sentence)
    assert encoded != sentence
    assert convert(encoded, "tcvn3").lower() == unicodedata.normalize("NFC", sentence).lower()


def test_tcvn3_keeps_the_capitals_it_has() -> None:
    assert convert(encode_tcvn3("Đà Nẵng Ơ Ư Ă Â Ê Ô"), "tcvn3") == "Đà Nẵng Ơ Ư Ă Â Ê Ô"


def test_every_vietnamese_letter_survives_both_encodings() -> None:
    vowels = "aăâeêioôơuưy"
    letters = [unicodedata.normalize("NFC", v + t) for v in vowels for t in ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")]
    text = " ".join(letters + ["đ"])
    assert convert(encode_vni(text), "vni") == text
    assert convert(encode_vni(text.upper()), "vni") == text.upper()
    assert convert(encode_tcvn3(text), "tcvn3") == text


def test_well_known_mojibake_converts() -> None:
    assert convert("ViÖt Nam", "tcvn3") == "Việt Nam"
    assert convert("Tr\u00adêng ®¹i häc Hµ Néi", "tcvn3") == "Trường đại học Hà Nội"
    assert convert("Tröôøng ñaïi hoïc Haø Noäi", "vni") == "Trường đại học Hà Nội"


@pytest.mark.parametrize("sentence", SENTENCES[:20])
def test_detection_finds_each_encoding(sentence: str) -> None:
    assert detect_legacy(encode_tcvn3(sentence)) == "tcvn3"
    assert detect_legacy(encode_vni(sentence)) == "vni"


def test_detection_on_a_whole_article() -> None:
    article = (CORPUS / sorted(p.name for p in CORPUS.glob("*.txt"))[1]).read_text(encoding="utf-8")
    assert detect_legacy(encode_tcvn3(article)) == "tcvn3"
    assert detect_legacy(encode_vni(article)) == "vni"


@pytest.mark.parametrize(
    "text",
    [FRENCH, GERMAN, SPANISH, ENGLISH, FRENCH + " " + GERMAN, "", "Ð"],
    ids=["french", "german", "spanish", "english", "french+german", "empty", "one-letter"],
)
def test_european_text_is_not_detected(text: str) -> None:
    assert detect_legacy(text) is None


def test_unicode_vietnamese_is_not_detected() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        assert detect_legacy(path.read_text(encoding="utf-8")) is None
    for sentence in SENTENCES:
        assert detect_legacy(sentence) is None


def test_syllable_check() -> None:
    assert all(is_vietnamese_syllable(w) for w in ["nghiêng", "Người", "quý", "giữa", "khuyến", "oan"])
    assert not any(is_vietnamese_syllable(w) for w in ["Straße", "schön", "fenêtre", "việtt", "ộtộ"])


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        convert("x", "viqr")
