"""The one-shot commands: ``search`` (:mod:`searcher.cli.search`) and ``search-index`` (:mod:`searcher.cli.index`)."""
