"""Process helpers for the fault and Dask tests (a module of its own: pytest puts one `conftest` per run on sys.path)."""


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (an orphan's zombie may wait for a lazy init)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until(predicate, timeout: float = 30.0) -> bool:
    """Polls `predicate` until it holds or `timeout` (generous, seconds) passes."""
    import time

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True
