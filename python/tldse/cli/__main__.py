"""``python -m tldse.cli``: the ``tldse`` command."""

from tldse.cli.main import run

run()
