"""knnkit.dask on a real LocalCluster (2 worker processes): answers equal scikit-learn's on the whole data for
several chunkings and every algorithm; lost shards raise; no engine process outlives the cluster."""

import gc
import glob
import os
import signal
import time

import numpy as np
import pytest
from processes import alive, wait_until
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neighbors

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import knnkit  # noqa: E402
import knnkit.dask as kd  # noqa: E402
from knnkit._bridge import _transport_base  # noqa: E402

ALGORITHMS = ["brute", "kd_tree", "ball_tree"]
N, D, K = 120, 3, 5
#: one chunk; uneven chunks with one smaller than k; many small chunks; a one-row chunk
CHUNKINGS = [(N,), (3, 70, 47), (25, 25, 25, 25, 20), (1, 59, 60)]


def _cluster():
    return distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20261129)
    X = rng.random((N, D))
    Q = rng.random((31, D))
    y = (X[:, 0] + X[:, 1] > 1).astype(int) + (X[:, 2] > 0.7)
    return X, Q, y


def _engine_pid():
    from knnkit._bridge import client

    return client().pid


def _shard_count():
    return sum(len(v) for v in kd._SHARDS.values())


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_equal_sklearn(client, data, algorithm, chunks):
    X, Q, y = data
    Xd = da.from_array(X, chunks=(chunks, D))
    Qd = da.from_array(Q, chunks=((10, 21), D))
    target = X[:, 0] * 3 + X[:, 1]
    clf = kd.KNeighborsClassifier(K, algorithm=algorithm).fit(Xd, y)
    reg = kd.KNeighborsRegressor(K, algorithm=algorithm).fit(Xd, target)
    assert [s["rows"] for s in clf.shards_] == list(chunks)
    assert {s["worker"] for s in clf.shards_} <= set(client.scheduler_info()["workers"])
    ref = neighbors.KNeighborsClassifier(K, algorithm=algorithm).fit(X, y)
    ref_reg = neighbors.KNeighborsRegressor(K, algorithm=algorithm).fit(X, target)

    dist, ind = clf.kneighbors(Qd)
    assert isinstance(ind, da.Array) and ind.chunks[0] == (10, 21)
    lazy = {
        "kneighbors": (dist, ind),
        "all": clf.kneighbors(Qd, n_neighbors=N, return_distance=False),
        "radius": clf.radius_neighbors(Qd, radius=0.3, sort_results=True),
        "unsorted": clf.radius_neighbors(Qd, radius=0.2, return_distance=False),
        "uniform": (clf.predict(Qd), clf.predict_proba(Qd), reg.predict(Qd)),
    }
    clf.set_params(weights="distance")
    reg.set_params(weights="distance")
    lazy["distance"] = (clf.predict(Qd), clf.predict_proba(Qd), reg.predict(Qd))
    got = dask.compute(lazy)[0]

    d2, i2 = ref.kneighbors(Q)
    assert_array_equal(got["kneighbors"][1], i2)
    assert_allclose(got["kneighbors"][0], d2, rtol=1e-9)
    assert_array_equal(got["all"], ref.kneighbors(Q, N, return_distance=False))
    rd, ri = got["radius"]
    ref_nn = neighbors.NearestNeighbors(algorithm=algorithm).fit(X)
    rd2, ri2 = ref_nn.radius_neighbors(Q, radius=0.3, sort_results=True)
    assert len(ri) == len(Q) and sum(len(r) for r in ri) > len(Q)
    for a, b, da_, db in zip(ri, ri2, rd, rd2):
        assert_array_equal(a, b)
        assert_allclose(da_, db, rtol=1e-9)
    for a, b in zip(got["unsorted"], ref_nn.radius_neighbors(Q, radius=0.2, return_distance=False)):
        assert_array_equal(a, np.sort(b))  # by increasing index
    for weights in ("uniform", "distance"):
        ref.set_params(weights=weights)
        ref_reg.set_params(weights=weights)
        predicted, proba, values = got[weights]
        assert_array_equal(predicted, ref.predict(Q))
        assert_allclose(proba, ref.predict_proba(Q), rtol=1e-9, atol=1e-12)
        assert_allclose(values, ref_reg.predict(Q), rtol=1e-9)
    assert clf.score(Qd, y[:31]) == ref.score(Q, y[:31])
    assert reg.score(Qd, Q[:, 0] * 3 + Q[:, 1]) == pytest.approx(ref_reg.score(Q, Q[:, 0] * 3 + Q[:, 1]), rel=1e-9)


def test_ties_by_global_index(client):
    """Duplicated rows in different shards: the merge keeps the lower global index, as single-machine brute force."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 3, size=(30, 2)).astype(np.float64)
    X = np.concatenate([base, base, base])  # every row three times, one copy in each shard
    Q = rng.integers(0, 3, size=(20, 2)).astype(np.float64)
    nn = kd.NearestNeighbors(n_neighbors=7, algorithm="brute").fit(da.from_array(X, chunks=(30, 2)))
    d1, i1 = (a.compute() for a in nn.kneighbors(Q))
    d2, i2 = knnkit.NearestNeighbors(n_neighbors=7, algorithm="brute").fit(X).kneighbors(Q)
    assert_array_equal(i1, i2)
    assert_array_equal(d1, d2)
    # a tie is broken by the smaller global index
    assert ((np.diff(d1, axis=1) > 0) | (np.diff(i1, axis=1) > 0)).all()


def test_numpy_dataframe_and_string_labels(client, data):
    X, Q, y = data
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = kd.KNeighborsClassifier(K).fit(X, labels)  # numpy: scattered in blocks, one per worker at least
    assert len(clf.shards_) >= 2
    ref = neighbors.KNeighborsClassifier(K).fit(X, labels)
    assert_array_equal(clf.classes_, ref.classes_)
    assert_array_equal(clf.predict(Q).compute(), ref.predict(Q))

    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]).assign(c=lambda f: (f.c * 10).astype(int)), npartitions=3)
    Xi = X.copy()
    Xi[:, 2] = (X[:, 2] * 10).astype(int)
    nn = kd.NearestNeighbors(n_neighbors=K).fit(frame)
    assert_array_equal(nn.kneighbors(Q, return_distance=False).compute(), neighbors.NearestNeighbors(n_neighbors=K).fit(Xi).kneighbors(Q, return_distance=False))
    with pytest.raises(ValueError, match="numeric columns only"):
        kd.NearestNeighbors().fit(frame.assign(s="x"))


def test_bad_input(client, data):
    X, Q, y = data
    with pytest.raises(ValueError, match="chunked along its features"):
        kd.NearestNeighbors().fit(da.from_array(X, chunks=(60, 2)))
    nn = kd.NearestNeighbors(n_neighbors=K).fit(da.from_array(X, chunks=(60, D)))
    with pytest.raises(ValueError, match="X has 2 features, but NearestNeighbors is expecting 3 features"):
        nn.kneighbors(Q[:, :2])
    with pytest.raises(ValueError, match="chunked along its features"):
        nn.kneighbors(da.from_array(Q, chunks=(10, 1)))
    with pytest.raises(ValueError, match=r"k=121 is larger than the number of training rows \(120\)"):
        nn.kneighbors(Q, n_neighbors=N + 1)
    with pytest.raises(knnkit.InvalidParameterError, match="must be an integer >= 1"):
        nn.kneighbors(Q, n_neighbors=0)
    with pytest.raises(knnkit.NotFittedError):
        kd.NearestNeighbors().kneighbors(Q)
    with pytest.raises(knnkit.InvalidParameterError, match="weights"):
        kd.KNeighborsClassifier(weights="bogus").fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        kd.KNeighborsClassifier().fit(X, y[:-1])
    # a bad value in one chunk: the error of the engine, and no shard left on any worker
    before = sum(client.run(_shard_count).values())
    bad = X.copy()
    bad[100, 1] = np.nan
    with pytest.raises(ValueError, match="(?i)nan"):
        kd.NearestNeighbors().fit(da.from_array(bad, chunks=(30, D)))
    assert wait_until(lambda: sum(client.run(_shard_count).values()) == before)
    with pytest.raises(knnkit.InvalidParameterError, match="algorithm"):
        kd.NearestNeighbors(algorithm="nope").fit(X)


def test_shards_freed_with_the_estimator(client, data):
    X, _, _ = data
    before = sum(client.run(_shard_count).values())
    engines = client.run(_engine_pid)
    assert None not in engines.values()  # started by the tests before, one per worker
    nn = kd.NearestNeighbors().fit(da.from_array(X, chunks=(40, D)))
    assert sum(client.run(_shard_count).values()) == before + 3
    nn.fit(da.from_array(X, chunks=(60, D)))  # refit: the old shards go
    assert wait_until(lambda: sum(client.run(_shard_count).values()) == before + 2)
    del nn
    gc.collect()
    assert wait_until(lambda: sum(client.run(_shard_count).values()) == before)
    assert client.run(_engine_pid) == engines  # each worker's engine process is reused


def test_missing_shard_or_restarted_engine_raises(client, data):
    X, Q, _ = data
    nn = kd.NearestNeighbors(n_neighbors=K).fit(da.from_array(X, chunks=(60, D)))
    # the engine process of one worker dies: its shard is gone, the search says which
    engines = client.run(_engine_pid)
    worker = nn.shards_[0]["worker"]
    os.kill(engines[worker], signal.SIGKILL)
    assert wait_until(lambda: not alive(engines[worker]))
    with pytest.raises(kd.ShardLostError, match=r"shard 0 \(rows 0..59\).*engine process"):
        nn.kneighbors(Q)[1].compute()
    # a registry entry missing on a worker raises, never an empty answer
    nn = kd.NearestNeighbors(n_neighbors=K).fit(da.from_array(X, chunks=(60, D)))
    client.run(kd._free_model, nn._model)
    with pytest.raises(kd.ShardLostError, match=r"shard \d \(rows \d+..\d+\).* is not held by worker"):
        nn.kneighbors(Q)[1].compute()


def _bridges_of(pids):
    """Engine processes whose transport directory belongs to one of `pids` (knnkit-<pid>-...)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if "knnkit-bridge" in cmd and any(f"knnkit-{p}-" in cmd for p in pids) and alive(int(entry)):
            found.append(int(entry))
    return found


def test_worker_killed_during_kneighbors_then_cluster_closed():
    rng = np.random.default_rng(3)
    X = rng.random((40_000, 16), dtype=np.float32)
    Q = rng.random((1_000, 16), dtype=np.float32)
    worker_pids, engine_pids = set(), set()
    with _cluster() as cluster, distributed.Client(cluster) as client:
        nn = kd.NearestNeighbors(n_neighbors=3, algorithm="brute").fit(da.from_array(X, chunks=(10_000, 16)))
        pids = client.run(os.getpid)
        worker_pids |= set(pids.values())
        engines = client.run(_engine_pid)
        engine_pids |= set(engines.values())
        victim = nn.shards_[0]["worker"]
        dist, ind = nn.kneighbors(Q)
        searching = lambda: any("knnkit-search" in str(k) for k in client.processing(workers=[victim]).get(victim, ()))  # noqa: E731
        assert wait_until(searching, timeout=60)
        os.kill(pids[victim], signal.SIGKILL)
        try:
            got = ind.compute()
        except kd.ShardLostError as e:
            assert "shard" in str(e) and victim in str(e)
        else:  # only if the victim's part was already merged: then it must be exact
            assert_array_equal(got, knnkit.NearestNeighbors(n_neighbors=3, algorithm="brute").fit(X).kneighbors(Q, return_distance=False))
        # the killed worker's engine saw its parent die and left
        assert wait_until(lambda: not alive(engines[victim]), timeout=30)
        # later calls refuse at once, naming the lost shards
        assert wait_until(lambda: nn._anchors[victim].status == "error", timeout=60)
        with pytest.raises(kd.ShardLostError, match="shard 0"):
            nn.kneighbors(Q)
        # the nanny's new worker serves a new fit
        assert wait_until(lambda: len(client.scheduler_info()["workers"]) == 2, timeout=60)
        nn = kd.NearestNeighbors(n_neighbors=3).fit(da.from_array(X[:2000], chunks=(500, 16)))
        assert_array_equal(nn.kneighbors(Q[:50], return_distance=False).compute(), knnkit.NearestNeighbors(n_neighbors=3).fit(X[:2000]).kneighbors(Q[:50], return_distance=False))
        worker_pids |= set(client.run(os.getpid).values())
        engine_pids |= set(client.run(_engine_pid).values())
    assert len(engine_pids) == 3 and len(worker_pids) == 3
    assert wait_until(lambda: not any(alive(p) for p in engine_pids) and not _bridges_of(worker_pids), timeout=30), _bridges_of(worker_pids)
    # and each engine removed its transport directory
    base = _transport_base()
    assert not [p for p in worker_pids if glob.glob(os.path.join(base, f"knnkit-{p}-*"))]
