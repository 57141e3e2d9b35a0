"""Which reader to use for legacy .doc and .ppt: accuracy on Vietnamese text with marks (issue 23).

    python bench/legacy_readers.py [--paras 60]

Writes ``--paras`` paragraphs of ../shared/corpora/vi-law (80–400 characters, seeded) to a
.docx (python-docx) and the first half to a .pptx (python-pptx, a title and a text box a slide),
has LibreOffice convert them to Word 97 .doc and PowerPoint 97 .ppt, then reads those back with
each candidate and prints the share of the syllables (marks included) found in order, and the
seconds per file.  Needs the test extras, LibreOffice, antiword and catdoc (for catppt).
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def accuracy(truth: list[str], got: list[str]) -> float:
    matcher = difflib.SequenceMatcher(None, truth, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(truth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paras", type=int, default=60)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent.parent / "shared" / "corpora")
    args = parser.parse_args(argv)
    from docx import Document
    from pptx import Presentation
    from pptx.util import Inches

    corpora = args.corpora if args.corpora.is_dir() else Path("/work/shared/corpora")
    pool: list[str] = []
    with gzip.open(corpora / "vi-law.jsonl.gz", "rt", encoding="utf-8") as stream:
        for line in stream:
            pool += [p for p in json.loads(line)["text"].split("\n") if 80 < len(p) < 400]
            if len(pool) > 50 * args.paras:
                break
    sample = random.Random(7).sample(pool, args.paras)
    work = Path(tempfile.mkdtemp(prefix="searcher-legacy-bench-"))
    profile = work / "profile"

    def soffice(source: Path, target: str) -> tuple[Path, float]:
        out = work / f"out-{target}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                        "--outdir", str(out), str(source)], capture_output=True, check=True)
        return next(out.iterdir()), time.perf_counter() - started

    def run(argv: list[str]) -> tuple[str, float]:
        started = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, check=False).stdout.decode("utf-8", "replace")
        return out, time.perf_counter() - started

    try:
        document = Document()
        for text in sample:
            document.add_paragraph(text)
        document.save(work / "vi.docx")
        deck = Presentation()
        slides = sample[: args.paras // 2]
        for text in slides:
            slide = deck.slides.add_slide(deck.slide_layouts[5])
            slide.shapes.title.text = text[:60]
            slide.shapes.add_textbox(Inches(1), Inches(2), Inches(8), Inches(4)).text_frame.text = text
        deck.save(work / "vi.pptx")
        doc, _ = soffice(work / "vi.docx", "doc")
        ppt, _ = soffice(work / "vi.pptx", "ppt")
        truth = words(" ".join(sample))
        print(f"{args.paras} paragraphs, {len(truth)} syllables; .doc {doc.stat().st_size:,} bytes")
        print("| reader | format | syllables found (marks included) | seconds per file |")
        print("|---|---|---:|---:|")
        for name, argv in (("antiword -m UTF-8.txt -w 0", ["antiword", "-m", "UTF-8.txt", "-w", "0", str(doc)]),
                           ("catdoc -d utf-8 -w", ["catdoc", "-d", "utf-8", "-w", str(doc)])):
            text, seconds = run(argv)
            print(f"| {name} | .doc | {accuracy(truth, words(text)):.2%} | {seconds:.2f} |")
        converted, seconds = soffice(doc, "txt:Text (encoded):UTF8")
        print(f"| LibreOffice headless → text | .doc | "
              f"{accuracy(truth, words(converted.read_text('utf-8'))):.2%} | {seconds:.2f} |")
        slide_truth: list[str] = []
        for text in slides:
            slide_truth += words(text[:60]) + words(text)
        text, seconds = run(["catppt", "-d", "utf-8", str(ppt)])
        print(f"| catppt -d utf-8 | .ppt | {accuracy(slide_truth, words(text)):.2%} | {seconds:.2f} |")
        converted, seconds = soffice(ppt, "pptx")
        got: list[str] = []
        for slide in Presentation(str(converted)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    got += words(shape.text_frame.text)
        found = accuracy(slide_truth, got)
        print(f"| LibreOffice headless → .pptx, python-pptx | .ppt | {found:.2%} | {seconds:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
