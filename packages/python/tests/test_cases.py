"""The shared cases (cases.py) under CPython, with the scikit-learn estimators and the minimal ones."""

import pytest

import knnkit
from knnkit import _pure

from cases import CASES


@pytest.mark.parametrize("module", [knnkit, _pure], ids=["sklearn-based", "minimal"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_case(case, module):
    case(module)


def test_both_flavours_agree():
    from cases import run_all

    assert run_all(knnkit)["case_kneighbors"] == run_all(_pure)["case_kneighbors"]
