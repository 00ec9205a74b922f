"""knnkit on a Dask cluster: exact k-nearest neighbours over a reference set sharded across workers.

`fit` turns each row block (chunk) of the reference set into a shard: a task on
the worker holding the chunk fits it in that worker's knnkit engine (one engine
process per worker process, reused) and keeps it in the worker's registry
`_SHARDS`; only a small description travels back. A shard knows its global row
offset.

A query block is searched by one task per worker, pinned to that worker
(`workers=[address]`, no other worker allowed): it searches every shard of the
model held there (min(k, shard rows) neighbours each) and merges them. The
per-worker answers are merged on the cluster (a tree of merges, `MERGE_FAN_IN`
at a time): the k smallest distances, ties by global row index, which is
single-machine brute force's answer since the global top k is inside the union
of the shard top ks. Votes (predict, predict_proba) follow from the merged
neighbours as scikit-learn's.

A lost shard is never an empty answer. Each worker's shards are watched by an
"anchor" task held by the estimator, pinned to the worker but allowed to run
elsewhere: when the worker dies Dask recomputes the anchor on another worker,
where it finds no shard and fails with ShardLostError naming the shards; the
searches pinned to the dead worker depend on the anchor and fail with it. A
search that finds its shard missing (or its engine restarted) raises the same
error. Fit again to rebuild the shards.
"""

from __future__ import annotations

import asyncio
import math
import operator
import threading
import uuid
import weakref
from dataclasses import dataclass

import numpy as np

import dask
import dask.array as da
import distributed

from . import _arrays
from . import _estimators as _single
from ._backend import get_backend
from ._base import BaseEstimator, ClassifierMixin, RegressorMixin
from ._errors import EngineError, InvalidParameterError, NotFittedError

__all__ = ["NearestNeighbors", "KNeighborsClassifier", "KNeighborsRegressor", "ShardLostError"]

#: numpy queries are cut into blocks of this many rows (a dask array keeps its chunks)
QUERY_BLOCK_ROWS = 10_000
#: a numpy reference set is cut into at least one block per worker, and blocks of at most this many bytes
FIT_BLOCK_BYTES = 128 << 20
#: per-worker answers are merged this many at a time
MERGE_FAN_IN = 16


class ShardLostError(RuntimeError):
    """A shard of a fitted knnkit.dask estimator is gone (its worker or engine died or restarted): fit again."""


# --- worker side --------------------------------------------------------------------------------


@dataclass
class _Shard:
    number: int
    offset: int
    rows: int
    handle: int
    generation: int
    y: np.ndarray | None


#: model id -> shard number -> shard, in each worker process
_SHARDS: dict[str, dict[int, _Shard]] = {}
_SHARDS_LOCK = threading.Lock()


def _name(number: int, offset: int, rows: int) -> str:
    return f"shard {number} (rows {offset}..{offset + rows - 1})"


def _here() -> str:
    try:
        return distributed.get_worker().address
    except ValueError:
        return "this process"


def _free_handle(handle: int, generation: int) -> None:
    backend = get_backend()
    if backend.current_generation == generation:
        backend.call("free", handle=handle)


def _fit_shard(model: str, number: int, offset: int, X, y, params: dict, kind: str) -> dict:
    """Fits one chunk in this worker's engine and registers it; returns its description."""
    X = _arrays.as_matrix(X)
    rows = X.shape[0]
    if kind == "KNeighborsRegressor":
        y = np.asarray(_arrays.target(y, rows, numeric=True))
    elif kind == "KNeighborsClassifier":
        from sklearn.utils.multiclass import check_classification_targets

        _arrays.target(y, rows, numeric=False)  # checks only: the labels keep their dtype, as classes_ does
        y = np.asarray(y)
        check_classification_targets(y)
    backend = get_backend()
    try:
        info, _ = backend.call("fit", {"X": X}, kind="NearestNeighbors", params=params)
    except ValueError as e:  # bad values: say where they are in the whole reference set
        if isinstance(e, InvalidParameterError):
            raise
        raise type(e)(f"{_name(number, offset, rows)}, whose row 0 is row {offset} of X: {e}") from None
    shard = _Shard(number, offset, rows, info["handle"], backend.generation, y)
    with _SHARDS_LOCK:
        old = _SHARDS.setdefault(model, {}).get(number)
        _SHARDS[model][number] = shard
    if old is not None:  # the same task ran twice here
        _free_handle(old.handle, old.generation)
    return {
        "number": number,
        "offset": offset,
        "rows": rows,
        "cols": info["cols"],
        "dtype": info["dtype"],
        "algorithm": info["algorithm"],
        "worker": _here(),
        "classes": None if kind != "KNeighborsClassifier" else np.unique(y),
    }


def _shards(model: str, described: list[tuple[int, int, int]], address: str) -> list[_Shard]:
    """This worker's shards of `model` (number, offset, rows), fitted on `address`, or ShardLostError naming the missing ones."""
    held = _SHARDS.get(model, {})
    missing = [_name(*d) for d in described if d[0] not in held]
    if missing:
        raise ShardLostError(
            f"{', '.join(missing)} of a knnkit.dask estimator, fitted on worker {address}, is not held by worker {_here()}: "
            "the worker that held it died or restarted; fit the estimator again"
        )
    found = [held[d[0]] for d in described]
    try:
        generation = get_backend().generation
    except EngineError as e:
        generation, reason = None, f" ({e})"
    else:
        reason = ""
    stale = [_name(s.number, s.offset, s.rows) for s in found if s.generation != generation]
    if stale:
        raise ShardLostError(
            f"{', '.join(stale)} of a knnkit.dask estimator was lost on worker {address}: "
            f"its knnkit engine process restarted{reason}; fit the estimator again"
        )
    return found


def _anchor(model: str, described: list[tuple[int, int, int]], address: str) -> str:
    """Succeeds where the shards are; recomputed elsewhere after their worker died, it raises."""
    if _here() != address and address in distributed.get_client().scheduler_info()["workers"]:
        raise distributed.Reschedule()  # stolen from a live worker (its restriction is loose): back there
    _shards(model, described, address)
    return address


async def _free_model_soon(model: str) -> None:
    """_free_model off the worker's event loop (an engine call may wait for a running search)."""
    await asyncio.to_thread(_free_model, model)


def _free_model(model: str) -> None:
    with _SHARDS_LOCK:
        shards = _SHARDS.pop(model, {})
    for s in shards.values():
        try:
            _free_handle(s.handle, s.generation)
        except Exception:
            pass


def _queries(Q) -> np.ndarray:
    Q = np.asarray(Q)
    if Q.dtype not in (np.float32, np.float64):
        Q = Q.astype(np.float64)
    return np.ascontiguousarray(Q)


def _search(address, model, described, Q, op, k, radius, sort, labels):
    """Searches this worker's shards of `model` for the query block Q and merges their answers.

    `address` is the anchor's answer: a dependency that fails this task when the shards' worker is gone."""
    shards = _shards(model, described, address)
    Q = _queries(Q)
    parts = []
    for s in shards:
        try:
            parts.append(_search_shard(s, Q, op, k, radius, sort, labels))
        except EngineError as e:
            if get_backend().current_generation == s.generation:
                raise  # an engine failure that left the engine running
            raise ShardLostError(  # the engine died during the search, and its shards with it
                f"{_name(s.number, s.offset, s.rows)} of a knnkit.dask estimator was lost on worker {address}: "
                f"its knnkit engine process died ({e}); fit the estimator again"
            ) from None
    return _merge_k(parts, k) if op == "kneighbors" else _merge_radius(parts, sort)


def _search_shard(s: _Shard, Q, op, k, radius, sort, labels):
    backend = get_backend()
    n = Q.shape[0]
    if op == "kneighbors":
        ks = min(k, s.rows)
        _, arrays = backend.call("kneighbors", {"X": Q}, handle=s.handle, k=ks)
        local = np.asarray(arrays["indices"], dtype=np.int64).reshape(n, ks)
        dist = np.array(arrays["distances"], dtype=np.float64).reshape(n, ks)
        return dist, local + s.offset, s.y[local] if labels else None
    _, arrays = backend.call("radius", {"X": Q}, handle=s.handle, radius=radius, sort=bool(sort))
    offsets = np.asarray(arrays["offsets"], dtype=np.int64)
    ind = np.asarray(arrays["indices"], dtype=np.int64) + s.offset
    return offsets, ind, np.array(arrays["distances"], dtype=np.float64)


# --- merging (anywhere on the cluster) -----------------------------------------------------------


def _merge_k(parts, k):
    """The k nearest of several candidate sets (dist, global index, labels or None): by distance, ties by index."""
    if len(parts) == 1 and parts[0][0].shape[1] <= k:
        return parts[0]
    dist = np.concatenate([p[0] for p in parts], axis=1)
    ind = np.concatenate([p[1] for p in parts], axis=1)
    order = np.lexsort((ind, dist), axis=1)[:, :k]
    labels = None if parts[0][2] is None else np.take_along_axis(np.concatenate([p[2] for p in parts], axis=1), order, axis=1)
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(ind, order, axis=1), labels


def _merge_radius(parts, sort):
    """One CSR answer (offsets, global indices, distances) from several: each row by index, or by distance then index."""
    n = len(parts[0][0]) - 1
    rows = np.concatenate([np.repeat(np.arange(n), np.diff(p[0])) for p in parts])
    ind = np.concatenate([p[1] for p in parts])
    dist = np.concatenate([p[2] for p in parts])
    order = np.lexsort((ind, dist, rows) if sort else (ind, rows))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return offsets, ind[order], dist[order]


def _merge_all(parts, op, k, sort):
    return _merge_k(parts, k) if op == "kneighbors" else _merge_radius(parts, sort)


def _ragged(csr):
    """(distances, indices) as object arrays of one array per query row, as scikit-learn's radius_neighbors."""
    offsets, ind, dist = csr
    n = len(offsets) - 1
    d, i = np.empty(n, dtype=object), np.empty(n, dtype=object)
    d[:] = np.split(dist, offsets[1:-1]) if n else []
    i[:] = np.split(ind.astype(np.intp), offsets[1:-1]) if n else []
    return d, i


def _weights(dist, weights):
    """scikit-learn's neighbour weights: None for uniform; 1/d, or only the exact matches of a row that has some."""
    if weights in (None, "uniform"):
        return None
    with np.errstate(divide="ignore"):
        w = 1.0 / dist
    inf = np.isinf(w)
    rows = inf.any(axis=1)
    w[rows] = inf[rows]
    return w


def _proba(merged, classes, weights):
    dist, _, labels = merged
    codes = np.searchsorted(classes, labels)
    w = _weights(dist, weights)
    w = np.ones(codes.shape) if w is None else w
    proba = np.zeros((codes.shape[0], len(classes)))
    rows = np.arange(codes.shape[0])
    for j in range(codes.shape[1]):
        proba[rows, codes[:, j]] += w[:, j]
    norm = proba.sum(axis=1)[:, None]
    norm[norm == 0.0] = 1.0
    return proba / norm


def _classify(merged, classes, weights):
    return classes[np.argmax(_proba(merged, classes, weights), axis=1)]


def _regress(merged, weights):
    dist, _, labels = merged
    w = _weights(dist, weights)
    if w is None:
        return np.mean(labels, axis=1)
    return np.sum(labels * w, axis=1) / np.sum(w, axis=1)


# --- client side --------------------------------------------------------------------------------


def _release(client, model: str) -> None:
    try:
        if client.status == "running":
            client.run(_free_model_soon, model, wait=False)
    except Exception:
        pass  # the cluster is gone, and the shards with it


def _is_dataframe(X) -> bool:
    return hasattr(X, "to_dask_array") and hasattr(X, "dtypes")


def _frame_array(X, what: str):
    dtypes = [X.dtypes] if not hasattr(X.dtypes, "items") else [t for _, t in X.dtypes.items()]
    bad = [str(t) for t in dtypes if np.dtype(t).kind not in "biuf"]
    if bad:
        raise ValueError(f"{what} must have numeric columns only, got dtypes {', '.join(sorted(set(bad)))}")
    return X.to_dask_array(lengths=True)


class _DaskNeighbors(BaseEstimator):
    _kind = ""

    # -- inputs

    def _matrix(self, X, what, client, fit=False):
        """X as a 2-D dask array of known chunk sizes, one chunk along the features.

        numpy: a reference set is scattered to the workers in blocks (at least one per worker); queries are
        cut into blocks of QUERY_BLOCK_ROWS in the graph, so that Dask can recompute a lost one."""
        if _is_dataframe(X):
            X = _frame_array(X, what)
        elif not isinstance(X, da.Array):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"Expected 2D array, got {X.ndim}D array instead")
            if not fit or X.shape[0] == 0:
                X = da.from_array(X, chunks=(QUERY_BLOCK_ROWS, X.shape[1]))
            else:
                workers = max(1, len(client.scheduler_info()["workers"]))
                step = math.ceil(X.shape[0] / max(workers, math.ceil(X.nbytes / FIT_BLOCK_BYTES)))
                blocks = [X[i:i + step] for i in range(0, X.shape[0], step)]
                futures = client.scatter(blocks, hash=False)
                X = da.concatenate([da.from_delayed(f, b.shape, dtype=b.dtype) for f, b in zip(futures, blocks)])
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead")
        if len(X.chunks[1]) > 1:
            raise ValueError(
                f"{what} is chunked along its features (column chunks {X.chunks[1]}): knnkit.dask shards by rows "
                f"and needs each chunk to hold whole rows; rechunk it with {what}.rechunk({{1: -1}})"
            )
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{what} must be numeric, got dtype {X.dtype}")
        if any(math.isnan(c) for c in X.chunks[0]):
            X = X.compute_chunk_sizes()
        if X.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
        return X

    def _target(self, y, X):
        if _is_dataframe(y):
            y = y.to_dask_array(lengths=True)
        if not isinstance(y, da.Array):
            y = np.asarray(y)
        elif any(math.isnan(c) for c in y.chunks[0]):
            y = y.compute_chunk_sizes()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (multi-output targets are not supported yet), got shape {y.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{X.shape[0]}, {y.shape[0]}]")
        return y.rechunk((X.chunks[0],)) if isinstance(y, da.Array) else da.from_array(y, chunks=(X.chunks[0],))

    # -- fit

    def _fit(self, X, y, client):
        client = client if client is not None else distributed.get_client()
        weights = getattr(self, "weights", None)
        if weights not in (None, "uniform", "distance"):
            raise InvalidParameterError(f'weights must be "uniform", "distance" or a function, got {weights!r}')
        X = self._matrix(X, "X", client, fit=True)
        if y is not None:
            y = self._target(y, X)
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "weights"}
        model = uuid.uuid4().hex
        # one graph: a chunk is an intermediate result, released once its shard is fitted
        x_blocks = X.to_delayed().ravel()
        y_blocks = y.to_delayed().ravel() if y is not None else [None] * len(x_blocks)
        offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).tolist()
        fit = dask.delayed(_fit_shard, pure=False)
        fits = client.compute([
            fit(model, i, offsets[i], xb, yb, params, self._kind, dask_key_name=f"knnkit-fit-{model}-{i}")
            for i, (xb, yb) in enumerate(zip(x_blocks, y_blocks))
            if X.chunks[0][i] > 0
        ])
        try:
            distributed.wait(fits)  # all of them, so that a failed fit leaves no shard registered after the release
            shards = client.gather(fits)
            del fits  # nothing recomputes a shard behind the anchors' back
            by_worker: dict[str, list] = {}
            for s in shards:
                by_worker.setdefault(s["worker"], []).append((s["number"], s["offset"], s["rows"]))
            anchors = {
                address: client.submit(
                    _anchor, model, described, address, workers=[address], allow_other_workers=True, key=f"knnkit-shards-{model}-{j}"
                )
                for j, (address, described) in enumerate(by_worker.items())
            }
            distributed.wait(list(anchors.values()))
            for a in anchors.values():
                if a.status != "finished":
                    a.result()
        except BaseException:
            _release(client, model)
            raise
        self._free_previous()
        self._finalizer = weakref.finalize(self, _release, client, model)
        self.client_ = client
        self._model = model
        self._anchors = anchors
        self._by_worker = by_worker
        self.shards_ = [{k: s[k] for k in ("number", "offset", "rows", "worker", "algorithm")} for s in shards]
        self.n_samples_fit_ = int(X.shape[0])
        self.n_features_in_ = int(X.shape[1])
        metric_params = dict(self.metric_params or {})
        p = metric_params.get("p", self.p)
        self.effective_metric_ = "euclidean" if self.metric == "minkowski" and p == 2 else self.metric
        self.effective_metric_params_ = metric_params
        return shards

    def _free_previous(self):
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()

    # -- queries

    def _fitted(self):
        if getattr(self, "_model", None) is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
            )
        for a in self._anchors.values():
            if a.status == "error":
                a.result()  # raises the anchor's ShardLostError
            if a.status in ("cancelled", "lost"):
                raise ShardLostError(f"the shards of this {type(self).__name__} on a worker are lost ({a.status}); fit the estimator again")

    def _query_blocks(self, X):
        """Futures of the query blocks and their row counts."""
        if X is None:
            raise ValueError(f"{type(self).__name__} (knnkit.dask) needs the query rows X; querying the fitted rows without X is not supported")
        Q = self._matrix(X, "X", self.client_)
        if Q.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Q.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features as input.")
        return self.client_.compute(list(Q.to_delayed().ravel())), list(Q.chunks[0])

    def _search_blocks(self, X, op, k=None, radius=None, sort=False, labels=False):
        """Per query block: (future of the merged answer, rows)."""
        self._fitted()
        blocks, sizes = self._query_blocks(X)
        client, call = self.client_, uuid.uuid4().hex[:12]
        out = []
        for b, (block, rows) in enumerate(zip(blocks, sizes)):
            parts = [
                client.submit(
                    _search, anchor, self._model, self._by_worker[address], block, op, k, radius, sort, labels,
                    workers=[address], allow_other_workers=False, key=f"knnkit-search-{call}-{b}-{j}",
                )
                for j, (address, anchor) in enumerate(self._anchors.items())
            ]
            level = 0
            while len(parts) > 1:
                parts = [
                    client.submit(_merge_all, parts[i:i + MERGE_FAN_IN], op, k, sort, key=f"knnkit-merge-{call}-{b}-{level}-{i}")
                    for i in range(0, len(parts), MERGE_FAN_IN)
                ]
                level += 1
            out.append((parts[0], rows))
        return out

    def _check_k(self, n_neighbors):
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InvalidParameterError(f"k (n_neighbors) must be an integer >= 1, got {k}")
        if k > self.n_samples_fit_:
            raise ValueError(f"k={k} is larger than the number of training rows ({self.n_samples_fit_})")
        return int(k)

    @staticmethod
    def _array(futures_rows, fn, shape, dtype):
        """A dask array of the blocks fn(merged) (each of shape(rows))."""
        client = None
        pieces = []
        for future, rows in futures_rows:
            client = client or future.client
            pieces.append(da.from_delayed(client.submit(fn, future), shape(rows), dtype=dtype))
        return da.concatenate(pieces, axis=0)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The n_neighbors nearest reference rows of each row of X, as dask arrays (distances, indices) or indices."""
        self._fitted()
        k = self._check_k(n_neighbors)
        merged = self._search_blocks(X, "kneighbors", k=k)
        ind = self._array(merged, operator.itemgetter(1), lambda r: (r, k), np.intp)
        if not return_distance:
            return ind
        return self._array(merged, operator.itemgetter(0), lambda r: (r, k), np.float64), ind

    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        """Reference rows within radius of each row of X: dask object arrays (one array per row), per query block.

        Unsorted rows list their neighbours by increasing index; sorted ones by distance, ties by index."""
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True.")
        self._fitted()
        r = self.radius if radius is None else radius
        if isinstance(r, bool) or not isinstance(r, (int, float, np.integer, np.floating)) or not r >= 0:
            raise InvalidParameterError(f"radius must be a number >= 0, got {r!r}")
        merged = self._search_blocks(X, "radius", radius=float(r), sort=sort_results)
        client = self.client_
        ragged = [(client.submit(_ragged, f), rows) for f, rows in merged]
        ind = self._array(ragged, operator.itemgetter(1), lambda n: (n,), object)
        if not return_distance:
            return ind
        return self._array(ragged, operator.itemgetter(0), lambda n: (n,), object), ind

    def _score_target(self, y, pred):
        if _is_dataframe(y):
            y = y.to_dask_array(lengths=True)
        if isinstance(y, da.Array):
            if any(math.isnan(c) for c in y.chunks[0]):
                y = y.compute_chunk_sizes()
            if y.shape[0] != pred.shape[0]:
                raise ValueError(f"Found input variables with inconsistent numbers of samples: [{pred.shape[0]}, {y.shape[0]}]")
            return y.rechunk((pred.chunks[0],))
        y = np.asarray(y)
        if y.shape[0] != pred.shape[0]:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{pred.shape[0]}, {y.shape[0]}]")
        return da.from_array(y, chunks=(pred.chunks[0],))


class NearestNeighbors(_DaskNeighbors):
    """knnkit.NearestNeighbors on a Dask cluster: the reference set stays sharded on the workers."""

    _kind = "NearestNeighbors"
    __init__ = _single.NearestNeighbors.__init__

    def fit(self, X, y=None, *, client=None):
        """Shards X (a dask array or dataframe, or numpy) on the workers of `client` (default: the current client)."""
        self._fit(X, None, client)
        return self


class _Supervised(_DaskNeighbors):
    def _merged(self, X):
        self._fitted()
        return self._search_blocks(X, "kneighbors", k=self._check_k(None), labels=True)


class KNeighborsClassifier(ClassifierMixin, _Supervised):
    """knnkit.KNeighborsClassifier on a Dask cluster: shards on the workers, neighbours merged exactly, then the vote."""

    _kind = "KNeighborsClassifier"
    __init__ = _single.KNeighborsClassifier.__init__

    def fit(self, X, y, *, client=None):
        """Shards X and y on the workers of `client` (default: the current client)."""
        shards = self._fit(X, y, client)
        self.classes_ = np.unique(np.concatenate([s["classes"] for s in shards]))
        self.outputs_2d_ = False
        return self

    def predict(self, X):
        """The most probable class of each row of X (ties: the first class), a dask array."""
        classes, weights = self.classes_, self.weights
        return self._array(self._merged(X), lambda m: _classify(m, classes, weights), lambda r: (r,), self.classes_.dtype)

    def predict_proba(self, X):
        """Class probabilities of each row of X (columns follow classes_), a dask array."""
        classes, weights = self.classes_, self.weights
        return self._array(self._merged(X), lambda m: _proba(m, classes, weights), lambda r: (r, len(classes)), np.float64)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of predict(X) against y (weighted by sample_weight)."""
        pred = self.predict(X)
        hits = (pred == self._score_target(y, pred)).astype(np.float64)
        if sample_weight is None:
            return float(self.client_.compute(hits.mean()).result())
        w = self._score_target(sample_weight, pred).astype(np.float64)
        return float(self.client_.compute((hits * w).sum() / w.sum()).result())


class KNeighborsRegressor(RegressorMixin, _Supervised):
    """knnkit.KNeighborsRegressor on a Dask cluster: shards on the workers, neighbours merged exactly, then the mean."""

    _kind = "KNeighborsRegressor"
    __init__ = _single.KNeighborsRegressor.__init__

    def fit(self, X, y, *, client=None):
        """Shards X and y on the workers of `client` (default: the current client)."""
        self._fit(X, y, client)
        return self

    def predict(self, X):
        """The (weighted) mean of the neighbours' targets for each row of X, a dask array."""
        weights = self.weights
        return self._array(self._merged(X), lambda m: _regress(m, weights), lambda r: (r,), np.float64)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of predict(X) against y (scikit-learn's r2_score)."""
        pred = self.predict(X)
        y = self._score_target(y, pred).astype(np.float64)
        w = da.ones_like(y) if sample_weight is None else self._score_target(sample_weight, pred).astype(np.float64)
        mean = (w * y).sum() / w.sum()
        num, den = self.client_.compute([(w * (y - pred) ** 2).sum(), (w * (y - mean) ** 2).sum()], sync=True)
        if den == 0.0:
            return 1.0 if num == 0.0 else 0.0
        return float(1.0 - num / den)
