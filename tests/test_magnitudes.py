"""The floats a safe load refuses: ones a processor computes with slowly.

``_magnitudes`` judges a large array on a random sample: an array mostly of
subnormal numbers is refused whatever the sample, one with a handful of
them among millions is not, and honest fits that drive values toward zero
(NMF's multiplicative updates) load.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import BisectingKMeans
from sklearn.decomposition import NMF
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler

import versioned_estimator as ve
from versioned_estimator._magnitudes import SAMPLE, slow_array, slow_number


def test_a_large_array_of_many_subnormal_numbers_is_refused_every_time() -> None:
    values = np.random.default_rng(0).normal(size=2_000_000)
    values[::20] *= 1e-310  # 5 %: a product over it 13 times as long
    assert values.size > SAMPLE
    for _ in range(20):  # a fresh sample each time
        assert "outside [2.2e-103, 9e+74)" in (slow_array(values) or "")


def test_a_few_small_numbers_among_millions_pass() -> None:
    values = np.random.default_rng(0).normal(size=2_000_000)
    values[:10] = 1e-310
    assert all(slow_array(values) is None for _ in range(20))


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        (np.zeros((50, 50)), False),  # exact zeros cost nothing
        (np.full(10, np.nan), False),
        (np.full(10, 1e-300), True),
        (np.full(10, 1e-160), True),  # two of them multiply to a subnormal
        (np.full(10, 1e-100), False),
        (np.full(10, 2.0**-511), True),  # two times the data below 1: subnormal
        (np.full(10, 1e308), True),  # the data over it, near 1e-308
        (np.full(10, 1e70), False),
        (np.full(10, -np.inf), False),  # a threshold no fit computes with
        (np.full(10, 1e-20, dtype=np.float32), True),  # float32's own bound
        (np.full(10, 1e-30), False),  # a normal float64 product
        (np.full(10, 1e-6, dtype=np.float16), False),  # computed in float32
        (np.full(10, 1e-310 + 1j), True),
        (np.asfortranarray(np.full((80, 90), 1e-310)), True),
        (np.full((80, 90), 1e-310)[::3, ::7], True),  # a strided view
    ],
)
def test_arrays(values: np.ndarray, refused: bool) -> None:
    assert (slow_array(values) is not None) is refused


def test_numbers() -> None:
    assert slow_number(1e-310) is not None
    assert slow_number(np.float32(1e-30)) is not None
    assert slow_number(np.float64(1e-30)) is None
    assert slow_number(0.0) is None
    assert slow_number(1) is None
    assert slow_number(True) is None


def test_an_honest_fit_with_values_near_zero_loads(tmp_path: Path) -> None:
    """NMF's multiplicative updates drive components toward zero (3e-21 after
    2,000 iterations), far above the bound."""
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(300, 30)))
    X[X < 0.8] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        model = NMF(10, solver="mu", max_iter=2000, random_state=0)
        wrapped = ve.VersionedEstimator(model).fit(X)
    path = ve.save(wrapped, tmp_path / "nmf.joblib")
    np.testing.assert_allclose(ve.load(path).transform(X), wrapped.transform(X))


def _selected_then_classified() -> tuple[Any, np.ndarray]:
    """A pipeline whose selector's p-value of its strong feature underflows
    honestly (2e-223 over 1,000 rows)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 5))
    y = (X[:, 0] > 0).astype(int)
    model = make_pipeline(SelectKBest(f_classif, k=2), LogisticRegression())
    return ve.VersionedEstimator(model).fit(X, y), X


def test_a_selectors_underflowing_p_values_load(tmp_path: Path) -> None:
    wrapped, X = _selected_then_classified()
    assert wrapped.estimator_[0].pvalues_.min() < 1e-200
    path = ve.save(wrapped, tmp_path / "selected.joblib")
    np.testing.assert_array_equal(ve.load(path).predict(X), wrapped.predict(X))


def test_p_values_lend_their_exemption_to_no_other_name(tmp_path: Path) -> None:
    """The classifier's coefficients, subnormal, made the selector's p-values
    too (one array under two names, or under two estimators): judged as
    coefficients."""
    wrapped, _ = _selected_then_classified()
    selector, classifier = wrapped.estimator_[0], wrapped.estimator_[-1]
    classifier.coef_ = selector.scores_ = classifier.coef_ * 1e-310
    path = ve.save(wrapped, tmp_path / "two-holders.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.2e-103, 9e\+74\)"):
        ve.load(path)
    selector.__dict__["coef_"] = selector.scores_ = np.full(5, 1e-310)
    path = ve.save(wrapped, tmp_path / "two-names.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.2e-103, 9e\+74\)"):
        ve.load(path)


def _gaussian_process() -> tuple[Any, np.ndarray]:
    """A Gaussian process of anisotropic length scales given as a list."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = GaussianProcessRegressor(RBF([1.0, 1.0, 1.0]), optimizer=None)
    return ve.VersionedEstimator(model).fit(X, X[:, 0]), X


@pytest.mark.parametrize(
    "scales",
    [[1e155, 1.0, 1.0], (1.0, 1e-200, 1.0), np.array([1.0, 1.0, 1e-310], dtype=object)],
    ids=["list", "tuple", "object-array"],
)
def test_numbers_in_a_list_are_judged_as_an_arrays_are(
    tmp_path: Path, scales: Any
) -> None:
    """Round 79: length scales of 1e155 in a list made predict 2.1 times as
    long while the same numbers in an array were refused."""
    wrapped, X = _gaussian_process()
    path = ve.save(wrapped, tmp_path / "honest.joblib")
    np.testing.assert_array_equal(ve.load(path).predict(X), wrapped.predict(X))
    wrapped.estimator_.kernel_.length_scale = scales
    path = ve.save(wrapped, tmp_path / "scaled.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.2e-103, 9e\+74\)"):
        ve.load(path)


def _scaled_neighbours() -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    model = make_pipeline(MaxAbsScaler(), KNeighborsClassifier(algorithm="brute"))
    return ve.VersionedEstimator(model).fit(X, X[:, 0] > 0), X


def test_an_integer_past_the_bound_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    """Round 81: a scale of 10**308, a Python integer, made the data it
    divides subnormal and the neighbours search after it 19 times as long
    (the same number as a float was refused)."""
    wrapped, X = _scaled_neighbours()
    wrapped.estimator_[0].scale_ = 2**248
    path = ve.save(wrapped, tmp_path / "large.joblib")
    assert ve.load(path).predict(X).shape == (300,)
    wrapped.estimator_[0].scale_ = 10**308
    path = ve.save(wrapped, tmp_path / "huge.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match="an integer of 1024 bits"):
        ve.load(path)


def test_a_matrix_is_refused_where_fit_makes_an_array(tmp_path: Path) -> None:
    """Round 81: a neighbours model's rows as a numpy matrix of subnormal
    numbers were not judged (19 times as long); a bisecting k-means tree of
    sparse data, the one place fit keeps a matrix, loads."""
    wrapped, X = _scaled_neighbours()
    knn = wrapped.estimator_[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        knn._fit_X = np.asmatrix(knn._fit_X)
    path = ve.save(wrapped, tmp_path / "matrix.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match="a numpy matrix where fit"):
        ve.load(path)
    sparse = sp.csr_matrix(np.abs(X))
    tree = ve.VersionedEstimator(BisectingKMeans(3, random_state=0)).fit(sparse)
    path = ve.save(tree, tmp_path / "bisecting.joblib")
    np.testing.assert_array_equal(ve.load(path).predict(sparse), tree.predict(sparse))


def test_a_naive_bayes_of_float32_features_of_small_scale_loads(
    tmp_path: Path,
) -> None:
    """Its epsilon_ (var_smoothing times the largest variance, computed in
    float32: 1e-13 of features scaled to a hundredth) is only added to and
    taken from the variances; under another name it is judged."""
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 4)) * 0.01).astype(np.float32)
    wrapped = ve.VersionedEstimator(GaussianNB()).fit(X, X[:, 0] > 0)
    assert wrapped.estimator_.epsilon_ < 2.3e-13
    path = ve.save(wrapped, tmp_path / "float32.joblib")
    np.testing.assert_array_equal(ve.load(path).predict(X), wrapped.predict(X))
    wrapped.estimator_.var_smoothing = wrapped.estimator_.epsilon_
    path = ve.save(wrapped, tmp_path / "two-names.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.3e-13, 9e\+18\)"):
        ve.load(path)


def _float32_network() -> tuple[Any, np.ndarray]:
    """A network fitted by Adam on float32 data: its second moments (squared
    gradients, which only partial_fit reads) go below float32's bound."""
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 8)).astype(np.float32)
    y = rng.integers(0, 3, 800)
    network = MLPClassifier(hidden_layer_sizes=(5, 5, 5), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 30 iterations
        return ve.VersionedEstimator(network).fit(X, y), X


def test_a_networks_optimizer_moments_below_the_bound_load(tmp_path: Path) -> None:
    """Adam's moments are scaled by constants and added to by partial_fit,
    never multiplied into the data: 1e-17 in float32 loads (round 169's
    false positive), and lends that to no other holder of its arrays."""
    wrapped, X = _float32_network()
    network = wrapped.estimator_
    moments = network._optimizer.vs
    assert 0 < min(np.abs(v[v != 0]).min() for v in moments) < 2.3e-13
    path = ve.save(wrapped, tmp_path / "adam.joblib")
    np.testing.assert_array_equal(ve.load(path).predict(X), wrapped.predict(X))

    # one array of the moments is a layer's too: judged as the layer's
    network.coefs_[0] = network._optimizer.vs[0] = network.coefs_[0] * np.float32(1e-20)
    path = ve.save(wrapped, tmp_path / "a-layer.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.3e-13, 9e\+18\)"):
        ve.load(path)

    # moments wider than float64, or subnormal: judged (long doubles made
    # partial_fit 6 to 9 times as long, round 170)
    wrapped, X = _float32_network()
    optimizer = wrapped.estimator_._optimizer
    optimizer.vs = [v.astype(np.longdouble) for v in optimizer.vs]
    path = ve.save(wrapped, tmp_path / "wide.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match="wider than 64-bit"):
        ve.load(path)
    # 1e-117 in float64: a moment's bound admits it in this machine's byte
    # order; in the other, it is held to the bound of any array
    for order, refused in (("=", False), (">" if np.little_endian else "<", True)):
        wrapped, X = _float32_network()
        optimizer = wrapped.estimator_._optimizer
        optimizer.vs = [
            (v.astype("f8") * 1e-100).astype(f"{order}f8") for v in optimizer.vs
        ]
        path = ve.save(wrapped, tmp_path / "order.joblib")
        if refused:
            with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.2e-103"):
                ve.load(path)
        else:
            np.testing.assert_array_equal(ve.load(path).predict(X), wrapped.predict(X))
    wrapped, X = _float32_network()
    optimizer = wrapped.estimator_._optimizer
    optimizer.ms = [np.full_like(m, 1e-40) for m in optimizer.ms]  # subnormal
    path = ve.save(wrapped, tmp_path / "subnormal.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[1\.2e-38, 9e\+18\)"):
        ve.load(path)

    # the list of moments held twice: its arrays judged as any others
    wrapped, X = _float32_network()
    wrapped.estimator_._optimizer.ms = wrapped.estimator_._optimizer.vs
    path = ve.save(wrapped, tmp_path / "twice.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"outside \[2\.3e-13, 9e\+18\)"):
        ve.load(path)


def test_a_function_that_makes_subnormal_numbers_of_zeros_is_not_allowed(
    tmp_path: Path,
) -> None:
    """Round 84: np.spacing makes 4.9e-324 of every zero the data holds (a
    count, a one-hot column): the neighbours search after it 10 to 22 times
    as long. Named as trusted, it loads."""
    X = np.random.default_rng(0).integers(0, 3, size=(200, 4)).astype(float)
    wrapped = ve.VersionedEstimator(FunctionTransformer(np.spacing)).fit(X)
    path = ve.save(wrapped, tmp_path / "spacing.joblib")
    with pytest.raises(ve.UntrustedGlobalError, match=r"numpy\.spacing"):
        ve.load(path)
    loaded = ve.load(path, trusted=["numpy.spacing"])
    np.testing.assert_array_equal(loaded.transform(X), wrapped.transform(X))
