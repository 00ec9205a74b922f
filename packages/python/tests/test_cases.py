"""The shared cases (cases.py) under CPython: with scikit-learn (the estimators are scikit-learn
estimators) and with scikit-learn hidden (the same classes on the minimal base, as in Pyodide)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import knnkit

from cases import CASES, run_all

HIDE_SKLEARN = """
import sys, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("hidden for this test")
sys.meta_path.insert(0, Hide())
sys.path.insert(0, {here!r})
import json, knnkit, cases
assert not knnkit.SKLEARN
print(json.dumps(cases.run_all(knnkit)))
"""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_case(case):
    assert knnkit.SKLEARN
    case(knnkit)


def test_minimal_base_agrees_with_scikit_learn_base():
    out = subprocess.run(
        [sys.executable, "-c", HIDE_SKLEARN.format(here=str(Path(__file__).parent))], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    minimal = json.loads(out.stdout)
    assert minimal == json.loads(json.dumps(run_all(knnkit)))
