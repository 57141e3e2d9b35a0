"""The interactive live-search terminal UI (Textual).

Everything that imports Textual lives in this package, so the engine and the
one-shot CLI start without loading it.  Entry points: :func:`searcher.tui.app.run_app`
and :func:`searcher.tui.app.make_app`.
"""
