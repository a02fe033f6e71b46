"""``python -m wasteopt.cli``: the command line."""

import sys

from wasteopt.cli import main

sys.exit(main())
