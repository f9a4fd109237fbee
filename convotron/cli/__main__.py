"""``python -m convotron.cli``: the same as the ``convotron`` script."""

import sys

from . import main

sys.exit(main())
