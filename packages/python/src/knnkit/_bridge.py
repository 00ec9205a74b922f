"""The client of the knnkit bridge: a long-lived Node process serving this interpreter.

The process starts on first use and is reused; arrays cross as Arrow IPC files in
a RAM-backed directory (/dev/shm where it exists); control messages are JSON
lines. A call that finds the process dead raises RuntimeError naming the cause,
and the next call starts a new process. Every call has a timeout
(KNNKIT_TIMEOUT seconds, default 300). The process is stopped at exit.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
from ._errors import NotFittedError

from ._arrow import read_array, write_matrix, write_vector


def _bridge_script() -> Path:
    env = os.environ.get("KNNKIT_BRIDGE")
    if env:
        return Path(env)
    # src/knnkit/_bridge.py -> packages/python/src/knnkit -> repository packages/
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "packages" / "interop" / "bin" / "knnkit-bridge.js"
        if candidate.exists():
            return candidate
    raise RuntimeError("cannot find the knnkit bridge (packages/interop/bin/knnkit-bridge.js); set KNNKIT_BRIDGE")


class BridgeError(RuntimeError):
    pass


class BridgeClient:
    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self._next_id = 0
        self._dir: str | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        #: increases each time a new process starts; handles are valid within one generation
        self.generation = 0
        self.timeout = float(os.environ.get("KNNKIT_TIMEOUT", "300"))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("knnkit needs Node.js (node) on PATH")
        script = _bridge_script()
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self._dir = tempfile.mkdtemp(prefix="knnkit-", dir=base)
        self._proc = subprocess.Popen(
            [node, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._stderr.clear()
        threading.Thread(target=self._drain_stderr, args=(self._proc,), daemon=True).start()
        self._buffer = b""
        self.generation += 1

    def _drain_stderr(self, proc: subprocess.Popen) -> None:
        for line in iter(proc.stderr.readline, b""):
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _dead(self, code: int | None) -> RuntimeError:
        tail = "\n".join(self._stderr)
        self._cleanup()
        detail = f": {tail}" if tail else ""
        return RuntimeError(
            f"the knnkit bridge process died (exit code {code}){detail}; it will be restarted on the next call"
        )

    def _cleanup(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=5)
                except Exception:
                    pass
            self._cleanup()

    def _readline(self, deadline_s: float) -> bytes | None:
        sel = selectors.DefaultSelector()
        sel.register(self._proc.stdout, selectors.EVENT_READ)
        import time

        end = time.monotonic() + deadline_s
        try:
            while b"\n" not in self._buffer:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the knnkit bridge did not answer within {deadline_s:.0f} s")
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(self._proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        finally:
            sel.close()
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def ensure(self) -> int:
        """Starts the process if needed (raising if it died since the last call); returns the generation."""
        with self._lock:
            if self._proc is None:
                self._start()
            elif self._proc.poll() is not None:
                raise self._dead(self._proc.returncode)
            return self.generation

    def call(self, op: str, inputs: dict | None = None, **fields):
        """Sends one request; returns (result dict, {name: numpy array})."""
        with self._lock:
            self.ensure()
            self._next_id += 1
            rid = self._next_id
            prefix = os.path.join(self._dir, f"r{rid}")
            paths = {}
            for name, array in (inputs or {}).items():
                path = f"{prefix}.in.{name}.arrow"
                if array.ndim == 2:
                    write_matrix(path, array)
                else:
                    write_vector(path, array)
                paths[name] = path
            message = {"id": rid, "op": op, "inputs": paths, "out": f"{prefix}.out", **fields}
            try:
                self._proc.stdin.write((json.dumps(message) + "\n").encode())
                line = self._readline(self.timeout)
            except BrokenPipeError:
                line = None
            except TimeoutError:
                self._cleanup()
                raise
            finally:
                for path in paths.values():
                    _unlink(path)
            if line is None:
                code = self._proc.wait(timeout=5) if self._proc is not None else None
                raise self._dead(code)
            answer = json.loads(line)
            arrays = {}
            for name, path in (answer.get("arrays") or {}).items():
                arrays[name] = read_array(path)
                _unlink(path)
            if not answer["ok"]:
                raise _exception(answer["error"])
            return answer["result"], arrays


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _exception(error: dict) -> Exception:
    kind = error.get("type")
    message = error.get("message", "")
    if kind == "KnnInputError":
        return ValueError(message)
    if kind == "NotFittedError":
        return NotFittedError(message)
    return BridgeError(f"{kind}: {message}")


_client: BridgeClient | None = None


def client() -> BridgeClient:
    global _client
    if _client is None:
        _client = BridgeClient()
        atexit.register(_client.close)
    return _client


def _as_index_dtype(a: np.ndarray) -> np.ndarray:
    return a.astype(np.intp, copy=False)
