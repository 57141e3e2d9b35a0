"""Office documents: spreadsheets, slides, RTF, and legacy Word and PowerPoint files.

These run inside a worker process (see ``_pool``).  Spreadsheets are read with
``python-calamine`` (``.xls``, ``.xlsx``, ``.ods``), slides with
``python-pptx``, RTF with ``striprtf``; legacy Word ``.doc`` with Debian's
``antiword`` (``catdoc``, then LibreOffice, when it cannot), legacy
PowerPoint ``.ppt`` by LibreOffice converting it to ``.pptx``.  Zip-based
files pass :class:`~searcher.documents.formats._common.SafeZip`'s bomb checks first.
The Python readers are the optional ``searcher[office]`` extra; a missing one
skips the file with the command that installs it, like a missing tool.
"""

from __future__ import annotations

import datetime
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from searcher.documents.formats._common import Collector, SafeZip, TextFull
from searcher.documents.formats._model import DocumentSkipped, Limits, tool_missing

EXTRA = "pip install 'searcher[office]'"
# LibreOffice maps far more address space than it uses: it gets this much, not the worker's limit.
_SOFFICE_MEMORY_MB = 4096


def _python_reader(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise tool_missing(f"the Python package {package}", EXTRA) from None


def _install(package: str) -> str:
    if sys.platform == "darwin":
        return f"brew install {'--cask libreoffice' if package == 'libreoffice' else package}"
    if sys.platform == "win32":
        return "winget install TheDocumentFoundation.LibreOffice"
    return f"apt install {package}"


_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _refuse_encrypted(path: str) -> None:
    """An Office 2007+ file with a password is an OLE2 container holding an ``EncryptedPackage``
    stream: say "encrypted" rather than let a reader call it damaged."""
    with open(path, "rb") as stream:
        head = stream.read(1 << 20)
    if _ENCRYPTED_PACKAGE in head:
        raise DocumentSkipped("encrypted")


# -- spreadsheets ------------------------------------------------------------------------------


def column_name(index: int) -> str:
    """A 0-based column index as a spreadsheet names it: 0 → "A", 27 → "AB".

    >>> column_name(0), column_name(25), column_name(27), column_name(701)
    ('A', 'Z', 'AB', 'ZZ')
    """
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00").removesuffix("T00:00:00")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def extract_sheet(path: str, zipped: bool, limits: Limits) -> Collector:
    """Each row with a value is a paragraph, its cells joined by " | ", at its sheet and first cell."""
    if zipped:
        SafeZip(path, limits).close()  # the bomb checks, before calamine inflates anything
    else:
        _refuse_encrypted(path)
    calamine = _python_reader("python_calamine", "python-calamine")
    collector = Collector("sheet", limits)
    try:
        workbook = calamine.CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own error types, one per format
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise DocumentSkipped("encrypted") from None
        raise DocumentSkipped(f"damaged: {message[:200]}") from None
    try:
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
                # calamine gives rows from the sheet's first (so row numbers are as shown) but
                # columns from the used range's first: put them back where the user sees them.
                first = (sheet.start or (0, 0))[1]
                for number, row in enumerate(sheet.iter_rows(), 1):
                    cells = [
                        (column, text) for column, value in enumerate(row, first) if (text := _cell_text(value).strip())
                    ]
                    if cells:
                        text = " | ".join(text for _column, text in cells)
                        collector.add(text, number, sheet=name, cell=f"{column_name(cells[0][0])}{number}", unit="row")
            except TextFull:
                raise
            except Exception as exc:
                collector.warn(f"sheet {name} not read: {str(exc)[:200]}")
    except TextFull:
        pass
    finally:
        try:
            workbook.close()
        except Exception:  # closing is tidiness only
            pass
    if not collector.raw:
        raise DocumentSkipped("no text found")
    return collector


# -- slides -------------------------------------------------------------------------------------


def extract_pptx(path: str, limits: Limits, kind: str = "pptx") -> Collector:
    """Each text frame, table cell row and note of a slide is a paragraph at that slide."""
    SafeZip(path, limits).close()
    pptx = _python_reader("pptx", "python-pptx")
    collector = Collector(kind, limits)
    try:
        presentation = pptx.Presentation(path)
    except Exception as exc:  # python-pptx raises KeyError, ValueError, lxml errors on damaged files
        raise DocumentSkipped(f"damaged: {type(exc).__name__}: {str(exc)[:200]}") from None
    try:
        collector.title = presentation.core_properties.title or ""
    except Exception:  # a nicety
        pass
    try:
        for number, slide in enumerate(presentation.slides, 1):
            counter = 0
            for text in _slide_texts(slide.shapes):
                counter += 1
                collector.add(text, counter, slide=number, unit="paragraph")
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                counter += 1
                notes = slide.notes_slide.notes_text_frame.text
                collector.add(notes, counter, slide=number, part="notes", unit="paragraph")
    except TextFull:
        pass
    if not collector.raw:
        raise DocumentSkipped("no text found")
    return collector


def _slide_texts(shapes: Any, depth: int = 0) -> Any:
    for shape in shapes:
        if depth < 20 and getattr(shape, "shape_type", None) == 6:  # a group: MSO_SHAPE_TYPE.GROUP
            yield from _slide_texts(shape.shapes, depth + 1)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                yield " | ".join(cell.text for cell in row.cells if cell.text.strip())


# -- RTF ----------------------------------------------------------------------------------------

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def extract_rtf(path: str, limits: Limits) -> Collector:
    """An RTF file's paragraphs (striprtf), numbered in order."""
    striprtf = _python_reader("striprtf.striprtf", "striprtf")
    size = os.path.getsize(path)
    if size > limits.max_inflated_mb * 1024 * 1024:
        raise DocumentSkipped(f"larger than {limits.max_inflated_mb} MB")
    with open(path, "rb") as stream:
        data = stream.read()
    match = _CODEPAGE.search(data[:4096])
    encoding = f"cp{match.group(1).decode()}" if match else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    # RTF is 7-bit ASCII; anything else arrives through \'xx and \uN escapes.
    text = striprtf.rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    collector = Collector("rtf", limits)
    _add_lines(collector, text)
    return collector


def _add_lines(collector: Collector, text: str) -> None:
    """One paragraph per non-blank line, numbered among the paragraphs."""
    number = 0
    try:
        for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n"):
            if line.strip():
                number += 1
                collector.add(line, number, unit="paragraph")
    except TextFull:
        pass
    if not collector.raw:
        raise DocumentSkipped("no text found")


# -- legacy Word and PowerPoint -------------------------------------------------------------------


def _run(argv: list[str], limits: Limits, memory_mb: int | None = None) -> subprocess.CompletedProcess[bytes]:
    def limit() -> None:
        if memory_mb is not None:
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            want = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))

    try:
        return subprocess.run(
            argv, capture_output=True, timeout=limits.timeout_s, stdin=subprocess.DEVNULL, preexec_fn=limit, check=False
        )
    except subprocess.TimeoutExpired:
        raise DocumentSkipped(f"{os.path.basename(argv[0])} took longer than {limits.timeout_s:g} s") from None
    except OSError as exc:
        raise DocumentSkipped(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def extract_doc(path: str, limits: Limits) -> Collector:
    """A Word 97–2003 file: antiword (best measured, fast), else catdoc, else LibreOffice."""
    _refuse_encrypted(path)
    collector = Collector("doc", limits)
    reasons = []
    antiword = shutil.which("antiword")
    if antiword:
        done = _run([antiword, "-m", "UTF-8.txt", "-w", "0", path], limits)
        text = done.stdout.decode("utf-8", "replace")
        if done.returncode == 0 and text.strip():
            _add_lines(collector, text)
            return collector
        reasons.append(done.stderr.decode("utf-8", "replace").strip().replace(path, "the file")[:200])
    catdoc = shutil.which("catdoc")
    if catdoc:
        done = _run([catdoc, "-d", "utf-8", "-w", path], limits)
        text = done.stdout.decode("utf-8", "replace")
        if done.returncode == 0 and text.strip():
            _add_lines(collector, text)
            return collector
        reasons.append(done.stderr.decode("utf-8", "replace").strip().replace(path, "the file")[:200])
    if _soffice() is not None:
        converted, folder = _convert(path, "txt:Text (encoded):UTF8", ".txt", limits)
        try:
            with open(converted, encoding="utf-8", errors="replace") as stream:
                _add_lines(collector, stream.read(limits.max_text_chars + 1))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return collector
    if not antiword and not catdoc:
        raise tool_missing("antiword (for Word 97–2003 .doc files)", _install("antiword"))
    raise DocumentSkipped(f"damaged: {'; '.join(r for r in reasons if r) or 'no text found'}")


def extract_ppt(path: str, limits: Limits) -> Collector:
    """A PowerPoint 97–2003 file: LibreOffice converts it to .pptx, read with its slides."""
    _refuse_encrypted(path)
    if _soffice() is None:
        raise tool_missing("LibreOffice (for PowerPoint 97–2003 .ppt files)", _install("libreoffice-impress"))
    converted, folder = _convert(path, "pptx", ".pptx", limits)
    try:
        return extract_pptx(converted, limits, kind="ppt")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_held: list[Any] = []  # the open lock file that keeps this worker's profile its own


def _claim_profile() -> str:
    """A LibreOffice profile folder no other worker is using (they refuse to share one; the user's,
    in HOME, is none of our business).  Folders are reused by later workers, so a killed worker
    leaves nothing new behind."""
    import fcntl

    base = os.path.join(tempfile.gettempdir(), f"searcher-libreoffice-{os.getuid()}")
    os.makedirs(base, mode=0o700, exist_ok=True)
    for slot in range(64):
        folder = os.path.join(base, str(slot))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        lock = open(os.path.join(folder, ".lock"), "a")  # noqa: SIM115  (held for the worker's life)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        _held.append(lock)
        return os.path.join(folder, "profile")
    raise DocumentSkipped("LibreOffice: no free profile folder (64 in use)")


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_profile: str | None = None


def _convert(path: str, target: str, suffix: str, limits: Limits) -> tuple[str, str]:
    """Convert with LibreOffice headless into a new temporary folder: (converted file, folder)."""
    global _profile
    program = _soffice()
    assert program is not None
    if _profile is None:
        _profile = _claim_profile()
    folder = tempfile.mkdtemp(prefix="searcher-convert-")
    try:
        # A link with a plain name: LibreOffice reads options from names starting with "-".
        source = os.path.join(folder, "in" + os.path.splitext(path)[1].lower())
        os.symlink(os.path.abspath(path), source)
        done = _run(
            [program, f"-env:UserInstallation=file://{_profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", os.path.join(folder, "out"), source],
            limits,
            memory_mb=_SOFFICE_MEMORY_MB,
        )
        converted = os.path.join(folder, "out", "in" + suffix)
        if not os.path.isfile(converted):
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DocumentSkipped(f"damaged: LibreOffice could not read it{': ' + detail[-1][:200] if detail else ''}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return converted, folder
