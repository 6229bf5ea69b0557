"""Allow ``python -m landuse``."""

from landuse.cli import main

if __name__ == "__main__":
    main()
