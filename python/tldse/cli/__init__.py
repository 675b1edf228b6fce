"""The ``tldse`` command line (``tldse.cli.main``); one module per command group."""

from tldse.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
