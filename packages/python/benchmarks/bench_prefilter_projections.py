"""Issue 18, several projections (BENCHMARKS.md): the share of rows that need a full distance when K principal
projections bound it from below. For orthonormal u_1..u_K, sqrt(sum_i (u_i . (x - q))^2) <= ||x - q||, so a row needs
its distance only where that projected distance is within the query's k-th (k = 10) distance. Counted, not timed.

    cd packages/bench && for n in W3 P1 W5; do node --import tsx src/compare/runner.ts generate --name $n --scale 0.1 --out /tmp/pf-ds; done
    .venv/bin/python packages/python/benchmarks/bench_prefilter_projections.py /tmp/pf-ds
"""
import sys

import numpy as np
import pyarrow.ipc as ipc
from sklearn.neighbors import NearestNeighbors


def load(path):
    column = ipc.open_file(path).read_all().column("data").combine_chunks()
    return np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float64).reshape(-1, column.type.list_size)


def main(folder):
    print("| dataset | K = 1 | K = 2 | K = 4 | K = 8 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in ("W3", "P1", "W5"):
        X, Q = load(f"{folder}/{name}.train.arrow"), load(f"{folder}/{name}.test.arrow")
        kth = NearestNeighbors(n_neighbors=10).fit(X).kneighbors(Q)[0][:, -1]
        sample = X[:: max(1, len(X) // 4096)]
        _, _, vt = np.linalg.svd(sample - sample.mean(0), full_matrices=False)
        px, pq = X @ vt[:8].T, Q @ vt[:8].T
        gap2 = np.zeros((len(Q), len(X)))
        cells = []
        for i in range(8):
            gap2 += (pq[:, i:i + 1] - px[None, :, i]) ** 2
            if i + 1 in (1, 2, 4, 8):
                cells.append(f"{100 * np.mean(gap2 <= kth[:, None] ** 2):.1f}%")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/pf-ds")
