"""Reading a corpus: decoding files, splitting paragraphs, finding files."""

from __future__ import annotations

import codecs
import os
import unicodedata
from pathlib import Path

import pytest

from conftest import CORPUS, FILE_000, FILE_001, FILE_002, FILE_003
from searcher.documents.corpus import UnreadableFile, iter_corpus_files, read_document
from searcher.documents.encoding import decode
from searcher.documents.paragraphs import split_paragraphs
from searcher.vietnamese.text import clean

ALL_FILES = [FILE_000, FILE_001, FILE_002, FILE_003]


def texts(doc):
    return [p.text for p in doc.paragraphs]


def lines_of(doc):
    return [p.line for p in doc.paragraphs]


# -- splitting ---------------------------------------------------------------


def test_blank_lines_separate_paragraphs():
    doc = split_paragraphs("a.txt", "Tiêu đề\n\nĐoạn một,\nvẫn đoạn một.\nVẫn đoạn một\n\n\n\nĐoạn hai.\n")
    assert texts(doc) == ["Tiêu đề", "Đoạn một,\nvẫn đoạn một.\nVẫn đoạn một", "Đoạn hai."]
    assert lines_of(doc) == [1, 3, 9]
    assert [p.ordinal for p in doc.paragraphs] == [0, 1, 2]


def test_without_blank_lines_each_line_is_a_paragraph():
    doc = split_paragraphs("a.txt", "Tiêu đề\nCâu một.\nCâu hai.\nCâu ba\n")
    assert texts(doc) == ["Tiêu đề", "Câu một.", "Câu hai.", "Câu ba"]
    assert lines_of(doc) == [1, 2, 3, 4]


def test_real_file_without_blank_lines_gives_one_paragraph_per_line():
    raw = (CORPUS / FILE_000).read_text("utf-8")
    lines = [line for line in raw.split("\n") if line.strip()]
    doc = read_document(CORPUS, FILE_000)
    assert len(doc.paragraphs) == len(lines) == 16
    assert lines_of(doc) == list(range(1, 17))
    assert texts(doc) == [clean(line).strip() for line in lines]


def test_hard_wrapped_line_joins_the_paragraph_it_continues():
    raw = (
        "Tiêu đề\n"
        "Thủ tướng phát biểu tại hội nghị tổng kết công tác\n"  # no closing punctuation ...
        "ngành ngoại giao năm 2022,\n"  # ... and lower case: continuation
        "tham quan triển lãm ảnh.\n"  # previous ends with ",": continuation
        "sau đó là một câu mới.\n"  # previous ends with ".": new paragraph
        "Câu này viết hoa\n"
        "Câu kia cũng viết hoa\n"  # upper case: new paragraph
        "Số liệu\n"
        "2022 là năm bản lề\n"  # starts with a digit, not lower case: new paragraph
    )
    doc = split_paragraphs("a.txt", raw)
    assert texts(doc) == [
        "Tiêu đề",
        "Thủ tướng phát biểu tại hội nghị tổng kết công tác\nngành ngoại giao năm 2022,\ntham quan triển lãm ảnh.",
        "sau đó là một câu mới.",
        "Câu này viết hoa",
        "Câu kia cũng viết hoa",
        "Số liệu",
        "2022 là năm bản lề",
    ]
    assert lines_of(doc) == [1, 2, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("closing", list('.!?…:;"”’»)]}'))
def test_closing_punctuation_prevents_joining(closing):
    doc = split_paragraphs("a.txt", f"Tiêu đề\nCâu thứ nhất{closing}\ncâu thứ hai\n")
    assert texts(doc) == ["Tiêu đề", f"Câu thứ nhất{closing}", "câu thứ hai"]


def test_pipe_lines_are_separators():
    raw = "|\nTiêu đề\n|\nChú thích ảnh một\n||\nChú thích ảnh hai.\n  |  \nđoạn viết thường\n"
    doc = split_paragraphs("a.txt", raw)
    assert texts(doc) == ["Tiêu đề", "Chú thích ảnh một", "Chú thích ảnh hai.", "đoạn viết thường"]
    assert lines_of(doc) == [2, 4, 6, 8]
    assert doc.title == "Tiêu đề"
    # A separator also ends a hard wrap: the lower-case line after it starts afresh.
    doc = split_paragraphs("a.txt", "Tiêu đề\nChú thích không dấu chấm\n|\nđoạn mới\n")
    assert texts(doc) == ["Tiêu đề", "Chú thích không dấu chấm", "đoạn mới"]


def test_pipe_lines_separate_blocks_in_files_with_blank_lines():
    doc = split_paragraphs("a.txt", "Tiêu đề\n\nMột\n|\nHai\n\nBa\n")
    assert texts(doc) == ["Tiêu đề", "Một", "Hai", "Ba"]
    assert lines_of(doc) == [1, 3, 5, 7]


def test_real_file_002_caption_spans_four_lines():
    raw_lines = (CORPUS / FILE_002).read_text("utf-8").split("\n")
    assert raw_lines[0].strip() == "|"  # the file starts with a separator line
    doc = read_document(CORPUS, FILE_002)
    first = doc.paragraphs[0]
    assert first.line == 2
    assert first.ordinal == 0
    assert first.text == "\n".join(line.rstrip() for line in raw_lines[1:5])
    assert first.text.count("\n") == 3
    assert first.text.startswith("Thủ tướng Chính phủ Phạm Minh Chính đến dự Hội nghị tổng kết công tác\nngành Ngoại giao")
    assert first.text.endswith("do Báo Thế giới và Việt Nam thực hiện. (Ảnh: Tuấn Anh)")
    assert doc.paragraphs[1].line == 7  # after the "|" on line 6
    assert doc.paragraphs[1].text.startswith("Cùng dự Hội nghị có đồng chí Phạm Bình Minh")


def test_real_file_002_other_wrapped_captions():
    doc = read_document(CORPUS, FILE_002)
    by_line = {p.line: p for p in doc.paragraphs}
    assert by_line[18].text == (
        "Bộ trưởng Ngoại giao Bùi Thanh Sơn phát biểu khai mạc Hội nghị tổng kết công tác\n"
        "ngành Ngoại giao năm 2022 và phương hướng, nhiệm vụ năm 2023."
    )
    assert by_line[30].text.startswith("Thủ tướng Chính phủ Phạm Minh Chính phát biểu ý kiến\nchỉ đạo tại Hội nghị.")
    assert 19 not in by_line and 31 not in by_line  # continuation lines are not paragraphs of their own
    # Lines 8..16 are separate paragraphs (each ends with a full stop).
    assert all(n in by_line for n in range(7, 17))
    assert not any(p.text.strip(" |") == "" for p in doc.paragraphs)


@pytest.mark.parametrize("name", ALL_FILES)
def test_paragraph_line_numbers_point_at_the_paragraph_start(name):
    lines = clean((CORPUS / name).read_bytes().decode("utf-8")).split("\n")
    doc = read_document(CORPUS, name)
    assert doc.paragraphs
    previous = 0
    for para in doc.paragraphs:
        assert para.line > previous  # strictly increasing, 1-based
        previous = para.line
        first_line = para.text.split("\n")[0]
        # Caption markers ("(Ảnh: Tuấn Anh) |") at the edge of a line are not text.
        assert lines[para.line - 1].strip().strip("|").strip() == first_line.strip(), (para.line, first_line)
        assert not first_line.rstrip().endswith("|")
    assert [p.ordinal for p in doc.paragraphs] == list(range(len(doc.paragraphs)))


@pytest.mark.parametrize("name", ALL_FILES)
def test_paragraph_texts_are_nfc(name):
    for para in read_document(CORPUS, name).paragraphs:
        assert unicodedata.is_normalized("NFC", para.text)
        assert "\r" not in para.text and "\ufeff" not in para.text


def test_decomposed_file_003_comes_out_composed():
    raw = (CORPUS / FILE_003).read_text("utf-8")
    assert not unicodedata.is_normalized("NFC", raw)  # the file really has decomposed characters
    doc = read_document(CORPUS, FILE_003)
    joined = "\n".join(texts(doc))
    assert "Lần đầu tiên, Việt Nam có quan hệ từ mức Đối tác chiến lược" in joined


# -- titles ------------------------------------------------------------------


def test_title_is_the_first_non_empty_line():
    doc = split_paragraphs("a.txt", "\n\n   \n  Ngoại giao   Việt Nam  \nnội dung tiếp theo\n\nĐoạn hai.\n")
    assert doc.title == "Ngoại giao Việt Nam"
    assert doc.paragraphs[0].line == 4


@pytest.mark.parametrize(
    "name, title",
    [
        (FILE_000, "Ngày 6/1, phát biểu tại Hội nghị tổng kết ngành ngoại giao, Thủ tướng Phạm Minh Chính"),
        (FILE_001, "Tạo bước tiến đột phá xây dựng nền ngoại giao Việt Nam toàn diện, hiện đại"),
        (FILE_002, "Thủ tướng Chính phủ Phạm Minh Chính đến dự Hội nghị tổng kết công tác"),
        (FILE_003, "Năm qua, ngành ngoại giao đã phản ánh khí thế"),
    ],
)
def test_titles_of_bundled_files(name, title):
    doc = read_document(CORPUS, name)
    assert doc.title.startswith(title)
    assert "\n" not in doc.title and "|" not in doc.title
    if name == FILE_001:
        assert doc.title == title


def test_empty_document_has_no_paragraphs():
    doc = split_paragraphs("a.txt", "\n \n|\n\n")
    assert doc.paragraphs == [] and doc.title == ""


# -- duplicates --------------------------------------------------------------


def test_duplicated_caption_in_001_is_kept_once():
    caption = "Phó Chủ tịch UBND tỉnh Hoàng Nam dự hội nghị tại điểm cầu Quảng Trị - Ảnh: H.N"
    raw = (CORPUS / FILE_001).read_text("utf-8")
    assert raw.count(caption) == 2  # really duplicated in the file (lines 5 and 7)
    doc = read_document(CORPUS, FILE_001)
    matching = [p for p in doc.paragraphs if p.text == caption]
    assert len(matching) == 1
    assert matching[0].line == 5
    assert 7 not in lines_of(doc)
    assert [p.ordinal for p in doc.paragraphs] == list(range(len(doc.paragraphs)))


def test_duplicates_differing_only_in_spacing_are_kept_once():
    doc = split_paragraphs("a.txt", "Tiêu đề\n\nẢnh: Tuấn  Anh\n\nNội dung.\n\nẢnh: Tuấn Anh \n")
    assert texts(doc) == ["Tiêu đề", "Ảnh: Tuấn  Anh", "Nội dung."]


# -- line ends and encodings -------------------------------------------------

SAMPLE = "Ngoại giao Việt Nam\n\nĐoạn một: hòa bình,\nhợp tác.\n\nĐoạn hai.\n"


def test_crlf_file_splits_like_lf():
    lf = split_paragraphs("a.txt", SAMPLE)
    crlf = split_paragraphs("a.txt", SAMPLE.replace("\n", "\r\n"))
    cr = split_paragraphs("a.txt", SAMPLE.replace("\n", "\r"))
    assert texts(crlf) == texts(lf) == texts(cr)
    assert lines_of(crlf) == lines_of(lf) == lines_of(cr) == [1, 3, 6]
    assert crlf.title == "Ngoại giao Việt Nam"


def test_crlf_file_without_blank_lines_still_joins_hard_wraps():
    raw = "Tiêu đề\r\nChú thích ảnh không có dấu chấm\r\nnối tiếp dòng trên.\r\nCâu mới.\r\n"
    doc = split_paragraphs("a.txt", raw)
    assert texts(doc) == ["Tiêu đề", "Chú thích ảnh không có dấu chấm\nnối tiếp dòng trên.", "Câu mới."]


TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows software writes it: precomposed letters, separate tone marks."""
    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SAMPLE.encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), id="utf-8-bom"),
        pytest.param(SAMPLE.encode("utf-16"), id="utf-16-bom-native"),
        pytest.param(codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(codecs.BOM_UTF8 + SAMPLE.replace("\n", "\r\n").encode("utf-8"), id="utf-8-bom-crlf"),
        pytest.param(unicodedata.normalize("NFD", SAMPLE).encode("utf-8"), id="utf-8-nfd"),
    ],
)
def test_supported_encodings_decode_to_the_same_document(tmp_path, data):
    assert clean(decode(data)).lstrip("\ufeff") == SAMPLE
    (tmp_path / "a.txt").write_bytes(data)
    doc = read_document(tmp_path, "a.txt")
    assert doc.title == "Ngoại giao Việt Nam"  # no BOM glued to the title
    assert texts(doc) == ["Ngoại giao Việt Nam", "Đoạn một: hòa bình,\nhợp tác.", "Đoạn hai."]
    assert lines_of(doc) == [1, 3, 6]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SAMPLE.encode("utf-16-le"), id="utf-16-le-no-bom"),
        pytest.param(SAMPLE.encode("utf-16-be"), id="utf-16-be-no-bom"),
        pytest.param(to_cp1258(SAMPLE), id="windows-1258"),
    ],
)
def test_bomless_utf16_and_windows_1258_are_recognised(tmp_path, data):
    # Accepted since b100dcf (corpus.inspect_file); the README's "Corpus format" still says
    # "UTF-8 (with or without BOM) or UTF-16 with a BOM".
    (tmp_path / "a.txt").write_bytes(data)
    doc = read_document(tmp_path, "a.txt")
    assert texts(doc) == ["Ngoại giao Việt Nam", "Đoạn một: hòa bình,\nhợp tác.", "Đoạn hai."]
    assert lines_of(doc) == [1, 3, 6]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"caf\xe9 \x81\x8d\x8f garbage", "UTF-8"),  # invalid UTF-8, and not Windows-1258 either
        ("Grüße aus Köln, schöne Straße".encode("latin-1"), "UTF-8"),  # Western European, not Vietnamese
        (b"Ngo\xe1i giao \x90\x9d", "UTF-8"),
        (b"abc\x00def", "binary"),  # NUL bytes
        (codecs.BOM_UTF16_LE + b"a\x00b", "UTF-16"),  # odd number of bytes after a UTF-16 BOM
    ],
)
def test_undecodable_bytes_raise_unreadable_file(tmp_path, data, reason):
    with pytest.raises(UnreadableFile) as info:
        decode(data)
    assert reason.lower() in str(info.value).lower()
    (tmp_path / "bad.txt").write_bytes(data)
    with pytest.raises(UnreadableFile):
        read_document(tmp_path, "bad.txt")


# -- finding files -----------------------------------------------------------


def test_iter_corpus_files_skips_hidden_unsupported_and_the_index(make_corpus):
    root = make_corpus(
        {
            "b.txt": "b",
            "a.txt": "a",
            "C.TXT": "c",
            "notes.md": "a format we read",
            "report.PDF": b"%PDF-1.7",
            "photo.jpg": b"\xff\xd8\xff",  # a scan, read by OCR
            "notes.wpd": "not a format we read",
            ".hidden.txt": "hidden",
            ".git/config.txt": "hidden folder",
            "sub/d.txt": "nested",
            "sub/.cache/e.txt": "hidden folder inside",
            "index/leftover.txt": "inside the index folder",
        }
    )
    found = list(iter_corpus_files(root, exclude=[root / "index"]))
    paths = [f.path for f in found]
    assert sorted(paths) == ["C.TXT", "a.txt", "b.txt", "notes.md", "photo.jpg", "report.PDF", "sub/d.txt"]
    assert paths == sorted(paths, key=lambda p: p.split("/"))  # deterministic order
    for f in found:
        st = os.stat(f.abspath)
        assert Path(f.abspath) == root / f.path
        assert (f.size, f.mtime_ns) == (st.st_size, st.st_mtime_ns)
    # Without the exclusion the index folder is an ordinary folder.
    assert "index/leftover.txt" in [f.path for f in iter_corpus_files(root)]


def test_iter_corpus_files_excludes_index_given_by_another_spelling(make_corpus, monkeypatch):
    root = make_corpus({"a.txt": "a", "idx/x.txt": "x"})
    monkeypatch.chdir(root)
    assert [f.path for f in iter_corpus_files(Path("."), exclude=[Path("./idx/../idx")])] == ["a.txt"]


def test_iter_corpus_files_does_not_follow_symlinked_folders(make_corpus):
    root = make_corpus({"a.txt": "a", "sub/b.txt": "b"})
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    assert [f.path for f in iter_corpus_files(root)] == ["a.txt", "sub/b.txt"]


def test_iter_corpus_files_does_not_follow_links_out_of_the_folder(make_corpus):
    """As rg and Recoll: a link to /etc/shadow in a shared folder is not read; follow=True (-L) reads it."""
    outside = make_corpus({"secret.txt": "mật khẩu", "more/x.txt": "x"}, name="outside")
    root = make_corpus({"a.txt": "a", "sub/b.txt": "b"}, name="shared")
    (root / "passwd.txt").symlink_to(outside / "secret.txt")
    (root / "inside.txt").symlink_to(root / "sub" / "b.txt")  # stays in the folder: read as before
    (root / "more").symlink_to(outside / "more", target_is_directory=True)
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a loop, even when following
    links: list[str] = []
    assert [f.path for f in iter_corpus_files(root, links=links)] == ["a.txt", "inside.txt", "sub/b.txt"]
    assert links == ["more", "passwd.txt"]
    links.clear()
    followed = [f.path for f in iter_corpus_files(root, follow=True, links=links)]
    assert followed == ["a.txt", "inside.txt", "more/x.txt", "passwd.txt", "sub/b.txt"]
    assert links == []


def test_bundled_corpus_files():
    assert [f.path for f in iter_corpus_files(CORPUS)] == ALL_FILES
