"""``python -m versioned_estimator``: the ``versioned-estimator`` command line."""

from __future__ import annotations

import sys

from versioned_estimator._cli import main

if __name__ == "__main__":
    sys.exit(main())
