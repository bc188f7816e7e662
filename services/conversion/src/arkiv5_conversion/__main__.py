"""`python -m arkiv5_conversion serve|migrate|batch …` (also installed as `arkiv5-conversion`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
