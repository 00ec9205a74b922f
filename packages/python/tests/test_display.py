"""The notebook display of fitted objects names what the engine built, after scikit-learn's own display."""

import html

import numpy as np
import pytest

import knnkit


@pytest.mark.parametrize(
    "make, cols, algorithm, why",
    [
        (lambda: knnkit.KNeighborsClassifier(n_neighbors=3), 4, "kd_tree", "KD-tree"),
        (lambda: knnkit.KNeighborsClassifier(n_neighbors=3), 20, "brute", "20 features > 15"),
        (lambda: knnkit.KNeighborsClassifier(n_neighbors=3, metric="cosine"), 4, "brute", "cosine"),
        (lambda: knnkit.KNeighborsClassifier(n_neighbors=3, metric="haversine"), 2, "ball_tree", "Ball tree"),
        (lambda: knnkit.KNeighborsClassifier(n_neighbors=30), 4, "brute", "half the 60 training rows"),
    ],
)
def test_display_names_the_algorithm_auto_chose(make, cols, algorithm, why):
    rng = np.random.default_rng(0)
    X = rng.random((60, cols))
    est = make().fit(X, rng.integers(0, 2, 60))
    assert est._fit_method == algorithm
    bundle = est._repr_mimebundle_()
    for mime in ("text/plain", "text/html"):
        shown = html.unescape(bundle[mime].replace("</th><td style='text-align:left'>", ": "))
        assert f"algorithm: {algorithm}" in shown and why in shown
        assert "60 rows x" in shown and "float64" in shown
        assert "MiB" in shown and "ms in the engine" in shown
    assert bundle["text/html"].index("sk-") < bundle["text/html"].index("knnkit-fit")  # scikit-learn's diagram first


def test_tree_display_and_unfitted_estimator():
    tree = knnkit.BallTree(np.random.default_rng(1).random((50, 3)), leaf_size=5)
    text = tree._repr_mimebundle_()["text/plain"]
    assert "algorithm: ball_tree" in text and "50 rows x 3 features" in text
    bundle = knnkit.NearestNeighbors()._repr_mimebundle_()
    assert "knnkit" not in bundle["text/plain"].replace("NearestNeighbors()", "")
