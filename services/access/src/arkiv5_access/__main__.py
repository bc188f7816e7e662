"""`python -m arkiv5_access serve|migrate|bootstrap`."""

from .cli import main

if __name__ == "__main__":
    main()
