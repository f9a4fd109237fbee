"""``python -m convotron.cli``: the ``convotron`` command."""

import sys

from . import main

sys.exit(main())
