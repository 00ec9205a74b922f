"""Interleaved rounds of the issue-12 transport benchmark: before, after, before, after ...

    python3 packages/python/benchmarks/bench_transport_rounds.py ROUNDS OUT.jsonl BEFORE_TREE [AFTER_TREE]

BEFORE_TREE is a built checkout of the earlier commit (its own .venv); AFTER_TREE defaults to this repository.
"""
import json, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
rounds, out = int(sys.argv[1]), sys.argv[2]
TREES = {"before": sys.argv[3], "after": sys.argv[4] if len(sys.argv) > 4 else str(HERE.parents[2])}
IPC_SCRIPT = str(HERE / "bench_transport.py")
PYO_SCRIPT = str(HERE / "bench_transport_pyodide.mjs")
with open(out, "a") as f:
    for r in range(rounds):
        for transport in ("ipc", "pyodide"):
            for which in ("before", "after"):
                tree = TREES[which]
                if transport == "ipc":
                    cmd = [f"{tree}/.venv/bin/python", IPC_SCRIPT]
                else:
                    cmd = ["node", PYO_SCRIPT, tree, which]
                head = subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
                dirty = subprocess.run(["git", "-C", tree, "status", "--short", "--untracked-files=no"], capture_output=True, text=True).stdout.split("\n")
                load = open("/proc/loadavg").read().split()[0]
                p = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
                rec = {"round": r, "transport": transport, "tree": which, "head": head, "dirty": [d for d in dirty if d],
                       "load": float(load), "at": time.strftime("%H:%M:%S", time.gmtime()), "rc": p.returncode}
                if p.returncode == 0:
                    rec.update(json.loads(p.stdout.strip().splitlines()[-1]))
                else:
                    rec["err"] = p.stderr[-2000:]
                f.write(json.dumps(rec) + "\n"); f.flush()
                print(json.dumps(rec), flush=True)
