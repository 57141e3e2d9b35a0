"""Build speed on a folder of mixed documents, and watch latency.

    python bench/formats.py [--docs 200] [--work DIR]

Makes ``--docs`` documents (txt, md, html, docx, odt, epub, pdf in turn) from the
paragraphs of the bundled corpus with the fixture makers of tests/test_formats.py
(needs the test extras), builds a fresh index and prints files/s and paragraphs/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def paragraphs() -> list[str]:
    from searcher.documents.corpus import read_document

    found = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        found += [p.text.replace("\n", " ") for p in read_document(ROOT / "corpus", path.name).paragraphs]
    return found


def make(folder: Path, count: int) -> None:
    import docx

    import test_formats as tf

    paras = paragraphs()
    kinds = ["txt", "md", "html", "docx", "odt", "epub", "pdf"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        chosen = [paras[(i * 7 + k) % len(paras)] for k in range(20)]
        path = folder / f"doc{i:04d}.{kind}"
        if kind == "txt":
            path.write_text("\n\n".join(chosen), encoding="utf-8")
        elif kind == "md":
            path.write_text("# Tài liệu\n\n" + "\n\n".join(chosen), encoding="utf-8")
        elif kind == "html":
            path.write_text("<html><body>" + "".join(f"<p>{p}</p>\n" for p in chosen) + "</body></html>", encoding="utf-8")
        elif kind == "docx":
            document = docx.Document()
            for p in chosen:
                document.add_paragraph(p)
            document.save(str(path))
        elif kind == "odt":
            tf.make_odt(path, "".join(f"<text:p>{p}</text:p>" for p in chosen))
        elif kind == "epub":
            tf.make_epub(path)
        else:
            import textwrap

            lines = [line for p in chosen for line in textwrap.wrap(p, 90) + [""]]
            tf.make_pdf(path, [lines[k:k + 45] for k in range(0, len(lines), 45)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="searcher-formats-"))
    folder = work / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    make(folder, args.docs)
    from searcher.index.build import build_index

    started = time.monotonic()
    summary = build_index(folder, work / "index", full=True)
    seconds = time.monotonic() - started
    print(
        f"{args.docs} documents: {summary.files} indexed, {len(summary.skipped)} skipped, "
        f"{summary.paragraphs} paragraphs in {seconds:.2f} s = {summary.files / seconds:.1f} files/s, "
        f"{summary.paragraphs / seconds:.0f} paragraphs/s"
    )


if __name__ == "__main__":
    main()
