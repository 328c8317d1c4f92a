"""``python -m suichang_gis``: the command line (``suichang_gis.cli``)."""

import sys

from .cli import main

sys.exit(main())
