"""``python -m tldse.cli``: the ``tldse`` command."""

import sys

from tldse.cli.main import main

sys.exit(main())
