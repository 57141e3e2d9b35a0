#!/usr/bin/env python3
"""MRR@10 and P@1 of each engine on two fixed halves of every question set of a saved
``bench/qa.py`` run, the guard against tuning ranking to the sets we have.

A question goes to half 0 or 1 by the lowest bit of the first byte of ``sha1(question id)``:
choose a change or a parameter on half 0 only, report half 1 (held out).

    python bench/qa_halves.py bench/out/qa-2026-12-07-d0.json

exit status: 0 done, 2 error (one line on stderr).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any


def half(question_id: Any) -> int:
    """The half (0: tuning, 1: held out) a question belongs to.

    >>> half("q1"), half(17)
    (0, 1)
    """
    return hashlib.sha1(str(question_id).encode("utf-8")).digest()[0] & 1


def halves(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per set, variant, engine and half: questions, P@1, MRR@10."""
    rows = []
    for set_name, data in run["sets"].items():
        for variant, questions in data["per_query"].items():
            engines = [k for k in questions[0] if isinstance(questions[0][k], dict)] if questions else []
            for engine in engines:
                for h in (0, 1):
                    ranks = [q[engine]["rank"] for q in questions if half(q["id"]) == h]
                    n = len(ranks) or 1
                    rows.append({
                        "set": set_name, "variant": variant, "engine": engine, "half": h, "questions": len(ranks),
                        "p1": sum(1 for r in ranks if r == 1) / n, "mrr": sum(1 / r for r in ranks if r) / n,
                    })
    return rows


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        run = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        rows = halves(run)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"qa_halves.py: cannot read {args[0]}: {error}", file=sys.stderr)
        return 2
    print("| set | variant | engine | half | questions | P@1 | MRR@10 |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['set']} | {r['variant']} | {r['engine']} | {r['half']} | {r['questions']} | {r['p1']:.3f} | {r['mrr']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
