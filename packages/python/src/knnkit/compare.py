"""`python -m knnkit.compare`: runs the comparison harness of the knnkit repository.

The harness lives in packages/bench/python/knnkit_bench (it needs the repository's
Node runner and datasets); this module only finds it and hands over the arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _harness():
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "packages" / "bench" / "python"
        if (candidate / "knnkit_bench" / "compare.py").exists():
            if str(candidate) not in sys.path:
                sys.path.insert(0, str(candidate))
            from knnkit_bench import compare

            return compare
    raise RuntimeError("python -m knnkit.compare runs from a knnkit repository checkout (packages/bench/python not found)")


def main(argv=None) -> int:
    return _harness().main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
