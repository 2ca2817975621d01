"""`python -m flowtune_bridge [worker|catalog|bench]` (default: worker)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
