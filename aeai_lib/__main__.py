"""``python -m aeai_lib``: see :mod:`aeai_lib.cli`."""

import sys

from aeai_lib.cli import main

sys.exit(main())
