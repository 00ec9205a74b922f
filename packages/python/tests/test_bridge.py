"""The bridge: errors, dtypes, zero-copy transfer, crash recovery, clean exit."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn import neighbors
from sklearn.exceptions import NotFittedError

import knnkit
from knnkit import _arrow
from knnkit._bridge import client


def _raises_like_sklearn(fn_ours, fn_ref):
    with pytest.raises(Exception) as ref:
        fn_ref()
    with pytest.raises(Exception) as ours:
        fn_ours()
    assert isinstance(ours.value, type(ref.value)) or type(ref.value) in type(ours.value).__mro__, (
        f"knnkit raised {type(ours.value).__name__}, scikit-learn {type(ref.value).__name__}"
    )
    return ours.value


@pytest.mark.parametrize("Ours,Ref", [(knnkit.KNeighborsClassifier, neighbors.KNeighborsClassifier), (knnkit.KNeighborsRegressor, neighbors.KNeighborsRegressor)])
def test_bad_input_raises_sklearn_types_and_bridge_keeps_serving(rng, Ours, Ref):
    X = rng.random((20, 3))
    y = np.arange(20) % 2
    bad_inputs = {
        "nan": np.where(np.eye(20, 3) == 1, np.nan, X),
        "inf": np.where(np.eye(20, 3) == 1, np.inf, X),
        "empty": np.zeros((0, 3)),
        "strings": np.array([["a", "b", "c"]] * 20),
    }
    for name, Xbad in bad_inputs.items():
        _raises_like_sklearn(lambda: Ours().fit(Xbad, y[: len(Xbad)]), lambda: Ref().fit(Xbad, y[: len(Xbad)]))
    _raises_like_sklearn(lambda: Ours().fit([[1, 2], [3]], [0, 1]), lambda: Ref().fit([[1, 2], [3]], [0, 1]))
    ours, ref = Ours(3).fit(X, y), Ref(3).fit(X, y)
    _raises_like_sklearn(lambda: ours.predict(rng.random((2, 4))), lambda: ref.predict(rng.random((2, 4))))
    _raises_like_sklearn(lambda: ours.kneighbors(X, 21), lambda: ref.kneighbors(X, 21))
    _raises_like_sklearn(lambda: ours.predict([[np.nan, 0, 0]]), lambda: ref.predict([[np.nan, 0, 0]]))
    _raises_like_sklearn(lambda: Ours().predict(X), lambda: Ref().predict(X))
    with pytest.raises(NotFittedError):
        Ours().predict(X)
    # still serving
    assert_array_equal(ours.predict(X), ref.predict(X))


def test_engine_errors_arrive_as_value_error(rng):
    tree = knnkit.KDTree(rng.random((10, 2)))
    with pytest.raises(ValueError, match="larger than the number of training rows"):
        tree.query(rng.random((2, 2)), k=11)
    result, _ = client().call("ping")
    with pytest.raises(ValueError, match='unknown operation "nope"'):
        client().call("nope")
    with pytest.raises(ValueError, match="KDTree has no predict"):
        client().call("predict", {"X": rng.random((2, 2))}, handle=tree._remote.handle)
    assert client().call("ping")[0]["pid"] == result["pid"]


def test_float32_stays_float32_and_crosses_as_a_view(rng, tmp_path):
    X32 = rng.random((100, 8)).astype(np.float32)
    path = str(tmp_path / "m.arrow")
    _arrow.write_matrix(path, X32)
    back = _arrow.read_array(path)
    assert back.dtype == np.float32
    assert back.base is not None and not back.flags.owndata  # a view over the mapped file
    assert_array_equal(back, X32)
    # the engine keeps float32: its tree reports the dtype it holds
    tree = knnkit.KDTree(X32)
    assert tree._remote.info["dtype"] == "float32"
    assert knnkit.KDTree(X32.astype(np.float64))._remote.info["dtype"] == "float64"
    nn = knnkit.NearestNeighbors(n_neighbors=2).fit(X32)
    ref = neighbors.NearestNeighbors(n_neighbors=2).fit(X32)
    assert_array_equal(nn.kneighbors(X32[:10])[1], ref.kneighbors(X32[:10])[1])


def test_crash_recovery(rng):
    X = rng.random((50, 3))
    clf = knnkit.KNeighborsClassifier(3).fit(X, np.arange(50) % 3)
    expected = clf.predict(X)
    os.kill(client().pid, signal.SIGKILL)
    client()._proc.wait()
    with pytest.raises(RuntimeError, match="bridge process died .*restarted on the next call"):
        clf.predict(X)
    # the next call starts a new process and rebuilds the fitted estimator there
    assert_array_equal(clf.predict(X), expected)


def test_no_orphan_process_after_exit(tmp_path):
    script = textwrap.dedent(
        """
        import numpy as np, knnkit
        from knnkit._bridge import client
        knnkit.KDTree(np.random.rand(20, 2)).query(np.random.rand(2, 2), k=1)
        print(client().pid, flush=True)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    pid = int(out.stdout.strip())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        import time

        time.sleep(0.1)
    pytest.fail(f"bridge process {pid} still alive after the interpreter exited")
