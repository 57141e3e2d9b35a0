"""Fixture documents for the office and scan formats, made by the tests themselves.

Spreadsheets and slides with openpyxl and python-pptx, scans by rendering text
with Pillow and the DejaVu font; the legacy ``.doc``, ``.xls`` and ``.ppt`` are
small files in ``tests/fixtures/legacy`` (the .ppt gzipped) (made once by LibreOffice from what
:func:`make_legacy_sources` writes, see ``tests/fixtures/legacy/README.md``).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path
from typing import Any

SENTENCE = "Quyết định phê duyệt dự toán ngân sách của Ủy ban nhân dân huyện Đồng Hới"
TYPED = "quyet dinh phe duyet du toan ngan sach"  # as people type it, without marks
FILLER = ["Báo cáo tình hình kinh tế xã hội quý một", "Danh sách cán bộ được khen thưởng năm nay"]
LEGACY = Path(__file__).parent / "fixtures" / "legacy"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font_path() -> str | None:
    """DejaVu Sans, from the system or matplotlib's copy; None when neither is there."""
    if Path(FONT).is_file():
        return FONT
    found = shutil.which("fc-match")
    if found:
        out = subprocess.run([found, "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True, check=False).stdout
        if out.endswith(".ttf") and Path(out).is_file():
            return out
    return None


def render_page(lines: list[str], width: int = 2480, height: int = 1000, size: int = 42) -> Any:
    """A clean 300 dpi scan of ``lines`` (an A4-wide strip, 10 pt DejaVu Sans) as a Pillow image."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = font_path()
    assert font_file, "DejaVu Sans is needed to render scans"
    font = ImageFont.truetype(font_file, size)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = 150
    for line in lines:
        draw.text((150, y), line, font=font, fill=0)
        y += int(size * 3)  # a blank line apart: each line its own paragraph
    return image


def make_xlsx(path: Path) -> None:
    """The sentence at Lương!B7; filler on another sheet and row."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    sheet["A1"] = FILLER[0]
    pay = book.create_sheet("Lương")
    pay["A1"] = "Họ và tên"
    pay["B7"] = SENTENCE
    pay["C7"] = 12500000
    pay["B8"] = FILLER[1]
    book.save(path)


def make_pptx(path: Path, slide_with_sentence: int = 3) -> None:
    """Three slides; the sentence on ``slide_with_sentence``."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for number in range(1, 4):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = f"Phần {number}"
        box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(8), Inches(3))
        box.text_frame.text = SENTENCE if number == slide_with_sentence else FILLER[number % 2]
    deck.save(path)


def make_rtf(path: Path) -> None:
    """Word-style RTF: the sentence in \\uN escapes, as the second paragraph."""

    def escape(text: str) -> str:
        # \uN takes a signed 16-bit number; the "?" is what readers without Unicode show.
        return "".join(ch if ord(ch) < 128 else f"\\u{ord(ch) - (65536 if ord(ch) > 32767 else 0)}?" for ch in text)

    body = "\\par\n".join(escape(t) for t in (FILLER[0], SENTENCE, FILLER[1]))
    head = "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
    path.write_text(head + body + "\\par\n}\n", "ascii")


def make_scan_pdf(path: Path) -> None:
    """A two-page image-only PDF (no text layer), the sentence on page 2."""
    pages = [render_page([FILLER[0]]), render_page([SENTENCE])]
    pages[0].save(path, "PDF", resolution=300, save_all=True, append_images=pages[1:])


def make_image(path: Path) -> None:
    """A scan of the sentence as PNG or JPEG (by ``path``'s suffix)."""
    image = render_page([FILLER[1], SENTENCE])
    if path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(path, "JPEG", quality=90, dpi=(300, 300))
    else:
        image.save(path, dpi=(300, 300))


def make_legacy_sources(folder: Path) -> None:
    """The .docx, .xlsx and .pptx that LibreOffice turns into the committed legacy fixtures."""
    from docx import Document

    document = Document()
    for text in (FILLER[0], SENTENCE, FILLER[1]):
        document.add_paragraph(text)
    document.save(folder / "legacy.docx")
    make_xlsx(folder / "legacy.xlsx")
    make_pptx(folder / "legacy.pptx", slide_with_sentence=2)


def make_folder(folder: Path) -> dict[str, str]:
    """Every format with the sentence; returns file → the place where a search must find it."""
    folder.mkdir(parents=True, exist_ok=True)
    make_xlsx(folder / "bảng lương.xlsx")
    make_pptx(folder / "slides.pptx")
    make_rtf(folder / "công văn.rtf")
    make_scan_pdf(folder / "quyết định.pdf")
    make_image(folder / "ảnh chụp.png")
    make_image(folder / "ảnh chụp.jpg")
    for name in ("legacy.doc", "legacy.xls"):
        shutil.copy(LEGACY / name, folder / name)
    (folder / "legacy.ppt").write_bytes(gzip.decompress((LEGACY / "legacy.ppt.gz").read_bytes()))
    return {
        "bảng lương.xlsx": " Lương!B7",
        "legacy.xls": " Lương!B7",
        "slides.pptx": " slide 3",
        "legacy.ppt": " slide 2",
        "công văn.rtf": " ¶2",
        "legacy.doc": " ¶2",
        "quyết định.pdf": " p.2 (OCR)",
        "ảnh chụp.png": " (OCR)",
        "ảnh chụp.jpg": " (OCR)",
    }
