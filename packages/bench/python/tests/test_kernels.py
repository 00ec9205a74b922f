"""The kernel benchmark runs every brute-force path and computes its ratios from the measured rows."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from knnkit_bench import compare, kernels  # noqa: E402


def test_every_path_is_measured_against_scikit_learn(monkeypatch):
    monkeypatch.setattr(compare, "MIN_TIME", 0.01)
    rows = kernels.measure(["W5"], 0.01, 1, 5)
    engines = set(kernels.PATHS) | {kernels.SKLEARN}
    for dtype in ("float64", "float32"):
        got = {r["engine"]: r for r in rows if r["dtype"] == dtype}
        assert set(got) == engines
        reference, plain = got[kernels.SKLEARN]["qps"], got["brute:plain"]["qps"]
        for r in got.values():
            assert r["qps"] > 0
            assert r["vs_sklearn"] == pytest.approx(r["qps"] / reference)
            assert r["vs_plain"] == pytest.approx(r["qps"] / plain)
            assert r["gflops"] == pytest.approx(2 * r["rows"] * r["cols"] * r["qps"] / 1e9)
        assert got["brute@all:auto"]["threads"] == 2
    table = kernels.markdown(rows)
    assert table.count("\n") == len(rows) + 1 and "brute:wasm-float64" in table
