"""Scale-out on dask: a real LocalCluster of worker processes on loopback."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor

from versioned_estimator import VersionedEstimator, read_envelope

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes on 127.0.0.1, no dashboard."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def _predict(model, X):
    return model.predict(X)


def test_grid_search_over_dask_workers(client, iris):
    """GridSearchCV over a wrapped estimator runs on dask workers and round-trips."""
    X, y = iris
    search = GridSearchCV(
        VersionedEstimator(LogisticRegression(max_iter=500)),
        {"estimator__C": [0.01, 0.1, 1.0]},
        cv=3,
        n_jobs=-1,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    assert search.best_params_ == {"estimator__C": 1.0}
    best = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(best.predict(X), search.predict(X))


def test_scattered_model_predicts_the_same_on_workers(client, iris):
    """A wrapped model scattered to workers predicts what it predicts locally."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    [remote] = client.scatter([model], broadcast=True)
    futures = [client.submit(_predict, remote, X[i::3], pure=False) for i in range(3)]
    for i, future in enumerate(futures):
        np.testing.assert_array_equal(future.result(), model.predict(X[i::3]))
    # the scattered copy was sent as the model's file: its envelope, trailer
    # (checksums, probe outputs) included, is the model's
    envelope = client.submit(lambda m: m.envelope.to_dict(), remote).result()
    assert envelope == model.envelope.to_dict()


def test_buffers_travel_out_of_band(client):
    """dask's protocol-5 serialization sends the arrays (above 64 KiB) as
    separate raw frames."""
    from distributed.protocol import deserialize, serialize

    rng = np.random.default_rng(0)
    X = rng.normal(size=(625_000, 20))  # 100 MB of float64
    y = X[:, 0].copy()
    model = VersionedEstimator(KNeighborsRegressor(algorithm="brute")).fit(X, y)
    header, frames = serialize(model, serializers=["pickle"])
    sizes = sorted(memoryview(f).nbytes for f in frames)
    total = sum(sizes)
    assert sizes[-1] >= X.nbytes, "the training data is one raw frame"
    assert total < (X.nbytes + y.nbytes) * 1.01, "nothing is sent twice"
    assert sizes[-2] >= y.nbytes, "so are the targets"
    assert sum(sizes[:-2]) < 100_000, "the pickle frame itself stays small"
    back = deserialize(header, frames)
    assert back.envelope == model.envelope
    head = read_envelope(pickle.dumps(back)).to_dict()
    assert head == {k: v for k, v in model.envelope.to_dict().items() if k != "trailer"}
    np.testing.assert_array_equal(back.predict(X[:5]), model.predict(X[:5]))
