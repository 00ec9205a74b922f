"""`%load_ext knnkit`: the magics %knnkit_compare and %%knnkit_time.

    %knnkit_compare X [y] [--k 10] [--engines brute,sklearn_brute] [--repeats 3] [--queries 0.2]
        X and y are names in the notebook's namespace (y may also be a column of the DataFrame X).
    %%knnkit_time
        runs the cell, then tells for each knnkit engine operation it made: calls, the time inside the engine
        (its compute), and the rest of the call (moving the data, the Python side).
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections import defaultdict


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="%knnkit_compare", add_help=False)
    ap.add_argument("X")
    ap.add_argument("y", nargs="?")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--engines", default=None, help="comma-separated engine names")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--queries", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    return ap


def _lookup(ns: dict, name: str, what: str):
    if name not in ns:
        raise NameError(f"%knnkit_compare: {what} {name!r} is not defined in the notebook")
    return ns[name]


def knnkit_compare(shell, line: str):
    from ._compare import compare

    try:
        args = _parser().parse_args(shlex.split(line))
    except SystemExit:
        raise ValueError(f"%knnkit_compare: usage: {_parser().format_usage().strip()}") from None
    ns = shell.user_ns
    X = _lookup(ns, args.X, "X")
    y = args.y
    if y is not None and (y in ns or not hasattr(X, "columns")):
        y = _lookup(ns, y, "y")
    queries = int(args.queries) if args.queries >= 1 else args.queries
    engines = args.engines.split(",") if args.engines else None
    return compare(X, y, queries=queries, k=args.k, engines=engines, repeats=args.repeats, seed=args.seed)


class CallTimes:
    """Engine calls made while active: per operation, calls, the call's time seen from Python and inside the engine."""

    def __init__(self):
        self.ops = defaultdict(lambda: {"calls": 0, "total_s": 0.0, "engine_s": 0.0})

    def __enter__(self):
        from ._backend import get_backend

        self.backend = get_backend()
        self.outer = self.backend.__dict__.get("call")  # an enclosing CallTimes' wrapper, if any
        self.inner = self.backend.call

        def call(op, inputs=None, **fields):
            start = time.perf_counter()
            result, arrays = self.inner(op, inputs, **fields)
            entry = self.ops[op]
            entry["calls"] += 1
            entry["total_s"] += time.perf_counter() - start
            entry["engine_s"] += float(result.get("engine_ms") or 0.0) / 1000
            return result, arrays

        self.backend.call = call
        return self

    def __exit__(self, *exc):
        if self.outer is None:
            del self.backend.call  # the instance attribute goes; the class's method is back
        else:
            self.backend.call = self.outer

    def engine_seconds(self) -> float:
        """Seconds inside the engine over every call so far."""
        return sum(e["engine_s"] for e in self.ops.values())

    def total_seconds(self) -> float:
        """Seconds of every call so far as Python saw them (the engine's, plus moving the data)."""
        return sum(e["total_s"] for e in self.ops.values())

    def table(self) -> str:
        head = f"{'operation':<16}{'calls':>7}{'in engine ms':>14}{'transfer+Python ms':>20}{'total ms':>11}"
        lines = [head, "-" * len(head)]
        for op, e in sorted(self.ops.items()):
            lines.append(f"{op:<16}{e['calls']:>7}{e['engine_s'] * 1000:>14.2f}{(e['total_s'] - e['engine_s']) * 1000:>20.2f}{e['total_s'] * 1000:>11.2f}")
        return "\n".join(lines) if self.ops else "no knnkit engine calls in the cell"


def knnkit_time(shell, line: str, cell: str):
    times = CallTimes()
    try:
        with times:
            shell.ex(shell.transform_cell(cell))
    finally:
        print(times.table())


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(lambda line: knnkit_compare(ipython, line), "line", "knnkit_compare")
    ipython.register_magic_function(lambda line, cell: knnkit_time(ipython, line, cell), "cell", "knnkit_time")
