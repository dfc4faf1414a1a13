"""``python -m spatialocc.datasets.build_us --raw DIR [--out FILE]``: build the US dataset."""

import sys

from spatialocc.datasets.build_us import main

if __name__ == "__main__":
    sys.exit(main())
