"""``python -m ml.cli``: the ``salespipe`` command."""

import sys

from ml.cli import main

sys.exit(main())
