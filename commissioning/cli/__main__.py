"""``python -m commissioning.cli ...``: the same as the ``commissioning`` console script."""

import sys

from commissioning.cli import main

sys.exit(main())
