"""Scans read by OCR: Tesseract with its Vietnamese model, one page at a time.

Runs inside a worker process (see ``_pool``).  Each page is handed to the
``tesseract`` program on its standard input with a time limit of its own
(``Limits.ocr_page_timeout_s``); what it read is cached by the content hash
of the file and the page number in ``Limits.ocr_cache`` (a folder inside the
index), so a rebuild never reads a scan twice.  Images declared larger than
``Limits.max_image_pixels`` are refused before anything is decoded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from searcher.documents.formats._common import Collector, TextFull
from searcher.documents.formats._lines import pdf_paragraphs
from searcher.documents.formats._model import DocumentSkipped, Limits, tool_missing

LANGUAGE = "vie"
DPI = 300  # what Tesseract's models are trained for
# Tesseract sees at most this many pixels: a 48-megapixel photo of a page reads no better than a 12 MP one.
_OCR_PIXELS = 25_000_000
# Bumped when the way pages are rendered or read changes, so cached text from the old way is not reused.
_CACHE_VERSION = 1

def _no_report(page: int, pages: int) -> None:
    """Outside a worker nobody listens."""


# Set in the worker: called with (page being read, pages to read) before each page.
report_page: Callable[[int, int], None] = _no_report


def install_hint(package: str = "tesseract-ocr-vie") -> str:
    """The one-line command that installs Tesseract (and its Vietnamese model) here."""
    if sys.platform == "darwin":
        return "brew install tesseract tesseract-lang"
    if sys.platform == "win32":
        return "winget install UB-Mannheim.TesseractOCR, with Vietnamese ticked"
    return "apt install tesseract-ocr tesseract-ocr-vie" if package == "tesseract-ocr-vie" else f"apt install {package}"


@lru_cache(maxsize=4)
def _languages(program: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [program, "--list-langs"], capture_output=True, timeout=30, stdin=subprocess.DEVNULL, check=False
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def tesseract() -> str:
    """The ``tesseract`` program, checked to have the Vietnamese model; raises the missing-tool skip."""
    program = shutil.which("tesseract")
    if program is None:
        raise tool_missing("Tesseract OCR", install_hint())
    if LANGUAGE not in _languages(program):
        raise tool_missing("Tesseract's Vietnamese model", install_hint())
    return program


def pillow() -> Any:
    """The ``PIL`` package (from the ``searcher[office]`` extra); raises the missing-reader skip."""
    try:
        import PIL.Image
        import PIL.ImageSequence
    except ImportError:
        raise tool_missing("the Python package Pillow", "pip install 'searcher[office]'") from None
    return PIL


def ocr_image(image: Any, limits: Limits, label: str) -> str:
    """The text Tesseract reads in a Pillow image; ``label`` names the page in the reason of a skip."""
    Image = pillow().Image
    program = tesseract()
    image = image.convert("L")
    width, height = image.size
    if width * height > _OCR_PIXELS:
        scale = (_OCR_PIXELS / (width * height)) ** 0.5
        image = image.resize((max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    # One thread: the pool already runs a worker per core.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            [program, "stdin", "stdout", "-l", LANGUAGE, "--dpi", str(DPI), "--psm", "3"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=limits.ocr_page_timeout_s,
            env=env,
            check=False,  # its status is read below
        )
    except subprocess.TimeoutExpired:
        raise DocumentSkipped(
            f"OCR of {label} took longer than {limits.ocr_page_timeout_s:g} s (SEARCHER_OCR_PAGE_TIMEOUT)"
        ) from None
    except OSError as exc:
        raise DocumentSkipped(f"cannot run tesseract: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentSkipped(f"OCR of {label} failed ({message[-1][:200] if message else done.returncode})")
    return done.stdout.decode("utf-8", "replace")


class OcrCache:
    """OCR text by (file content hash, page), as small JSON files in a folder; a no-op without one."""

    def __init__(self, folder: str | None, path: str) -> None:
        self.folder = folder
        self.key = ""
        if folder:
            digest = hashlib.sha256()
            with open(path, "rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
            self.key = f"{digest.hexdigest()}-{LANGUAGE}-{_CACHE_VERSION}"

    def _file(self, page: int) -> str:
        assert self.folder
        return os.path.join(self.folder, self.key[:2], f"{self.key}-p{page}.json")

    def get(self, page: int) -> str | None:
        if not self.folder:
            return None
        try:
            with open(self._file(page), encoding="utf-8") as stream:
                text = json.load(stream).get("text")
        except (OSError, ValueError, AttributeError):
            return None
        return text if isinstance(text, str) else None

    def put(self, page: int, text: str) -> None:
        if not self.folder:
            return
        target = self._file(page)
        try:
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump({"text": text}, stream, ensure_ascii=False)
            os.replace(temporary, target)
        except OSError:
            pass  # a cache that cannot be written only costs time at the next rebuild


def add_ocr_text(collector: Collector, text: str, page: int | None) -> None:
    """Add what OCR read on one page as paragraphs (blank lines part them; wrapped lines are joined)."""
    for line, paragraph in pdf_paragraphs(text):
        collector.add(paragraph, line, page=page, ocr=True)


def check_size(width: int, height: int, limits: Limits, what: str = "image") -> None:
    """Refuse an image declared larger than the limit, before any pixel is decoded."""
    if width * height > limits.max_image_pixels:
        raise DocumentSkipped(
            f"{what} too large: {width} × {height} pixels declared (limit {limits.max_image_pixels:,} pixels)"
        )


def extract_image(path: str, limits: Limits) -> Collector:
    """An image file (PNG, JPEG, TIFF; each frame of a multi-page TIFF a page) read by OCR."""
    PIL = pillow()
    Image, ImageSequence = PIL.Image, PIL.ImageSequence
    collector = Collector("image", limits)
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels  # Pillow's own bomb check, at our limit
    try:
        image = Image.open(path)
    except PIL.UnidentifiedImageError:
        raise DocumentSkipped("damaged: not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise DocumentSkipped(f"image too large (limit {limits.max_image_pixels:,} pixels)") from None
    cache = OcrCache(limits.ocr_cache, path)
    with image:
        frames = getattr(image, "n_frames", 1)
        pages = min(frames, limits.max_pages)
        if frames > pages:
            collector.warn(f"only the first {pages} of {frames} pages were indexed; the rest was not")
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image), 1):
                if number > pages:
                    break
                width, height = frame.size
                check_size(width, height, limits)
                label = f"page {number}" if frames > 1 else "the image"
                text = cache.get(number)
                if text is None:
                    tesseract()  # say what to install before decoding anything
                    report_page(number, pages)
                    try:
                        frame.load()
                    except (OSError, ValueError, SyntaxError) as exc:
                        raise DocumentSkipped(f"damaged: {exc}") from None
                    text = ocr_image(frame, limits, label)
                    cache.put(number, text)
                collector.ocr_pages += 1
                add_ocr_text(collector, text, number if frames > 1 else None)
        except TextFull:
            pass
    if not collector.raw:
        raise DocumentSkipped("no text found by OCR")
    return collector
