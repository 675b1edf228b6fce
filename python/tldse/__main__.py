"""``python -m tldse``: the ``tldse`` command."""

import sys

from tldse.cli.main import main

sys.exit(main())
