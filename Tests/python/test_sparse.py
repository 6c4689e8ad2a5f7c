"""scipy.sparse inputs: the network and the estimators give what the same X densified gives (the dense
path is the reference: X.toarray(), which also sums repeated entries), and scikit-learn's MLPClassifier
on the same sparse X gives the same weights; CSC, COO and sparse arrays are converted to CSR once, CSR
of the network's dtype is read in place; structures that point outside their arrays or the columns are
refused with a ValueError naming X; thread counts do not change a bit."""
import warnings

import numpy as np
import pytest

sparse = pytest.importorskip("scipy.sparse")

import sgdswift as sg  # noqa: E402
from sgdswift._checks import sparse_rows  # noqa: E402

ARCHITECTURES = [  # (sizes, hidden, output, loss): one layer (row tiles), hidden layers, each output kind
    ([30, 3], "sigmoid", "softmax", "cross_entropy"),
    ([30, 9, 3], "relu", "softmax", "cross_entropy"),
    ([30, 9, 5, 1], "tanh", "sigmoid", "binary_cross_entropy"),
    ([30, 7, 2], "sigmoid", "identity", "quadratic"),
]


def awkward_csr(rows=40, columns=30, density=0.2, seed=0):
    """A CSR matrix with an empty row, unsorted column indices and a repeated column (both kept as they
    are: scipy's constructor from (data, indices, indptr) does not canonicalise)."""
    X = sparse.random(rows, columns, density=density, random_state=seed, format="csr")
    X.data = X.data * 2 - 1
    data, indices, indptr = list(X.data), list(X.indices), list(X.indptr)
    start, stop = indptr[0], indptr[1]
    indices[start:stop], data[start:stop] = indices[start:stop][::-1], data[start:stop][::-1]  # unsorted
    indices.append(3), data.append(0.75)  # a repeat of column 3 in the last row
    indptr[-1] += 1
    first_row = slice(indptr[1], indptr[2])  # empty the second row
    removed = first_row.stop - first_row.start
    del indices[first_row], data[first_row]
    indptr = indptr[:2] + [p - removed for p in indptr[2:]]
    result = sparse.csr_matrix((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr)),
                               shape=(rows, columns))
    assert not result.has_sorted_indices and result.getnnz(axis=1)[1] == 0
    return result


def targets_for(network, rows, seed=1):
    rng = np.random.default_rng(seed)
    outputs = network.sizes[-1]
    if network.loss_name == "cross_entropy":
        return rng.integers(0, outputs, rows)
    return rng.random((rows, outputs))


def network(architecture, dtype="float64", seed=5):
    sizes, hidden, output, loss = architecture
    return sg.Network(sizes, hidden=hidden, output=output, loss=loss, dtype=dtype, seed=seed)


# ---- the network: sparse equals dense ----------------------------------------------------------------

@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 2e-6)])
def test_predict_loss_evaluate_gradient_equal_dense(architecture, dtype, tolerance):
    X = awkward_csr()
    dense = X.toarray()
    net = network(architecture, dtype)
    Y = targets_for(net, X.shape[0])
    np.testing.assert_allclose(net.predict(X), net.predict(dense), rtol=tolerance, atol=tolerance)
    assert net.loss(X, Y) == pytest.approx(net.loss(dense, Y), rel=tolerance)
    assert net.evaluate(X, Y) == pytest.approx(net.evaluate(dense, Y), rel=tolerance)
    for ours, reference in zip(sum(net.gradient(X, Y), []), sum(net.gradient(dense, Y), [])):
        np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("architecture", ARCHITECTURES[:3])
@pytest.mark.parametrize("batch_size", [1, 7, None])
def test_fit_equals_dense_fit(architecture, batch_size):
    """The same seed shuffles the same way: after three epochs (and their validation scores on a sparse
    row block) the weights are the dense fit's to 1e-12."""
    X = awkward_csr(rows=60)
    sparse_net, dense_net = network(architecture), network(architecture)
    Y = targets_for(sparse_net, X.shape[0])
    settings = dict(epochs=3, batch_size=batch_size, optimizer=None, validation_split=0.25, verbose=0)
    sparse_history = sparse_net.fit(X, Y, **settings, lr=0.3)
    dense_history = dense_net.fit(X.toarray(), Y, **settings, lr=0.3)
    np.testing.assert_allclose(sparse_net.parameters, dense_net.parameters, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sparse_history.history["val_loss"], dense_history.history["val_loss"], rtol=1e-12)
    np.testing.assert_allclose(sparse_history.history["loss"], dense_history.history["loss"], rtol=1e-12)


def test_fit_with_sparse_validation_data_and_step_equal_dense():
    architecture = ARCHITECTURES[1]
    X, X_val = awkward_csr(rows=50, seed=2), awkward_csr(rows=20, seed=3)
    sparse_net, dense_net = network(architecture), network(architecture)
    Y, Y_val = targets_for(sparse_net, 50), targets_for(sparse_net, 20, seed=4)
    sparse_history = sparse_net.fit(X, Y, epochs=2, batch_size=8, optimizer=sg.Adam(lr=0.01),
                                    validation_data=(X_val, Y_val), verbose=0)
    dense_history = dense_net.fit(X.toarray(), Y, epochs=2, batch_size=8, optimizer=sg.Adam(lr=0.01),
                                  validation_data=(X_val.toarray(), Y_val), verbose=0)
    np.testing.assert_allclose(sparse_history.history["val_accuracy"], dense_history.history["val_accuracy"])
    assert sparse_net.step(X[:10], Y[:10]) == pytest.approx(dense_net.step(X[:10].toarray(), Y[:10]), rel=1e-12)
    np.testing.assert_allclose(sparse_net.parameters, dense_net.parameters, rtol=0, atol=1e-12)


def test_gradient_matches_the_dense_numpy_reference():
    """Independently of the dense path: the first layer's ∂C/∂W₁ = Xᵀδ₁ from NumPy's backpropagation."""
    import reference

    X = awkward_csr()
    net = network(ARCHITECTURES[1])
    y = targets_for(net, X.shape[0])
    expected = reference.gradient([W.copy() for W in net.weights], [b.copy() for b in net.biases], X.toarray(), y,
                                  net.hidden, net.output, net.loss_name)
    dW, db = net.gradient(X, y)
    for ours, theirs in zip(dW + db, expected[0] + expected[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


# ---- formats, dtypes and copies --------------------------------------------------------------------

@pytest.mark.parametrize("convert", [
    lambda X: X.tocsc(), lambda X: X.tocoo(), lambda X: sparse.csr_array(X), lambda X: sparse.coo_array(X),
    lambda X: X.astype(np.float32), lambda X: (X != 0).astype(bool),
    lambda X: sparse.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)), shape=X.shape),
], ids=["csc", "coo", "csr_array", "coo_array", "float32 data", "bool data", "int64 indices"])
def test_other_formats_and_dtypes_equal_their_dense_form(convert):
    X = convert(sparse.random(40, 30, density=0.2, random_state=0, format="csr"))
    net = network(ARCHITECTURES[1])
    np.testing.assert_allclose(net.predict(X), net.predict(X.toarray()), rtol=1e-12, atol=1e-12)


def test_csr_of_the_dtype_is_read_in_place():
    X = sparse.random(40, 30, density=0.2, random_state=0, format="csr", dtype=np.float32)
    assert X.indices.dtype == np.int32
    rows = sparse_rows(X, "X", np.dtype(np.float32), 30)
    assert np.shares_memory(rows.data, X.data) and np.shares_memory(rows.indices, X.indices)
    assert rows.indptr.dtype == np.int64  # the one copy: n + 1 offsets
    assert not np.shares_memory(sparse_rows(X, "X", np.dtype(np.float64), 30).data, X.data)


# ---- bad structures ----------------------------------------------------------------------------------

def raw_csr(data, indices, indptr, shape=(2, 3)):
    """A CSR matrix with exactly these arrays (set after construction, which refuses some of them)."""
    X = sparse.csr_matrix((np.ones(3), np.arange(3, dtype=np.int32), np.array([0, 1, 3], dtype=np.int32)), shape=shape)
    X.data, X.indices, X.indptr = (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int32),
                                   np.array(indptr, dtype=np.int32))
    return X


@pytest.mark.parametrize("data, indices, indptr, message", [
    ([1.0, 2.0, 3.0], [0, 3, 1], [0, 1, 3], r"X: column index 3 \(entry 1\) is outside 0\.\.2"),
    ([1.0, 2.0, 3.0], [0, -1, 1], [0, 1, 3], r"X: column index -1"),
    ([1.0, 2.0, 3.0], [0, 1, 2], [0, 2, 1], r"X: indptr must rise .* decreasing"),
    ([1.0, 2.0, 3.0], [0, 1, 2], [0, 1, 4], r"X: indptr must rise from 0 to at most the 3 stored entries"),
    ([1.0, 2.0, 3.0], [0, 1, 2], [1, 2, 3], r"X: indptr must rise from 0"),
    ([1.0, np.nan, 3.0], [0, 1, 2], [0, 1, 3], r"X: contains NaN at row 1, column 1"),
])
def test_bad_structures_are_refused_and_change_nothing(data, indices, indptr, message):
    X = raw_csr(data, indices, indptr)
    net = sg.Network([3, 4, 2], output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    before = net.parameters.copy()
    for call in (lambda: net.predict(X), lambda: net.loss(X, [0, 1]), lambda: net.gradient(X, [0, 1]),
                 lambda: net.fit(X, [0, 1], epochs=1, verbose=0), lambda: net.step(X, [0, 1])):
        with pytest.raises(ValueError, match=message):
            call()
    np.testing.assert_array_equal(net.parameters, before)


def test_the_core_refuses_bad_structures_itself():
    """What reaches the core without the package's checks is still checked before any entry is read."""
    net = sg.Network([3, 2], output="softmax", loss="cross_entropy", dtype="float64", seed=0)
    out = np.empty((2, 2))
    data, indices = np.array([1.0, 2.0, 3.0]), np.array([0, 1, 2], dtype=np.int32)
    bad = {
        "column index 7": (data, np.array([0, 7, 2], dtype=np.int32), np.array([0, 1, 3]), 3),
        "indptr decreases at row 1": (data, indices, np.array([0, 2, 1]), 3),
        "beyond the 3 stored entries": (data, indices, np.array([0, 1, 9]), 3),
        "indptr\\[0\\] is -1": (data, indices, np.array([-1, 1, 3]), 3),
        "expected 3 columns": (data, indices, np.array([0, 1, 3]), 4),
    }
    for message, X in bad.items():
        with pytest.raises(ValueError, match=message):
            net._core.predict(X=X, out=out)
    with pytest.raises(TypeError, match="X: expected indices as a 1-D int32 buffer"):
        net._core.predict(X=(data, indices.astype(np.int64), np.array([0, 1, 3]), 3), out=out)
    with pytest.raises(TypeError, match=r"X: expected sparse rows as \(data, indices, indptr, columns\)"):
        net._core.predict(X=(data, indices), out=out)


def test_wrong_shape_names_x():
    net = sg.Network([3, 2], dtype="float64", seed=0)
    with pytest.raises(ValueError, match=r"X: expected shape \(n, 3\), got \(2, 4\) \(sparse\)"):
        net.predict(sparse.random(2, 4, density=0.5, format="csr"))


# ---- threads -----------------------------------------------------------------------------------------

def test_one_and_two_threads_give_the_same_bits():
    """Large enough that the first layer's products run in several tiles (2 000 inputs, 256-row batches
    of about 300 entries per row)."""
    X = sparse.random(600, 2000, density=0.15, random_state=7, format="csr")
    y = np.random.default_rng(7).integers(0, 4, 600)
    before = sg.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            sg.set_num_threads(threads)
            net = sg.Network([2000, 64, 4], hidden="relu", output="softmax", loss="cross_entropy", dtype="float64",
                             seed=3)
            net.fit(X, y, epochs=2, batch_size=256, optimizer=sg.SGD(lr=0.05, momentum=0.9), verbose=0)
            results.append((net.parameters.copy(), net.predict(X)))
    finally:
        sg.set_num_threads(before)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


# ---- the estimators ----------------------------------------------------------------------------------

sklearn = pytest.importorskip("sklearn")
from sklearn import neural_network  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

SGD_SETTINGS = dict(solver="sgd", hidden_layer_sizes=(9,), batch_size=20, learning_rate_init=0.1, shuffle=False,
                    random_state=3, max_iter=8, tol=0.0, alpha=1e-3)


def estimator_data(rows=120, seed=0):
    X = sparse.random(rows, 50, density=0.1, random_state=seed, format="csr")
    y = np.random.default_rng(seed).integers(0, 3, rows)
    return X, y


def coefficients(estimator):
    return list(estimator.coefs_) + list(estimator.intercepts_)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.parametrize("settings", [
    SGD_SETTINGS, dict(SGD_SETTINGS, momentum=0.9, nesterovs_momentum=False),
    ], ids=["sgd nesterov", "sgd momentum"])
def test_classifier_equals_its_dense_fit_and_sklearns_sparse_fit(settings):
    X, y = estimator_data()
    ours = sg.MLPClassifier(**settings).fit(X, y)
    dense = sg.MLPClassifier(**settings).fit(X.toarray(), y)
    theirs = neural_network.MLPClassifier(**settings).fit(X, y)
    for a, b, c in zip(coefficients(ours), coefficients(dense), coefficients(theirs)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X.tocsc()), dense.predict(X.toarray()))
    assert ours.score(X.tocoo(), y) == dense.score(X.toarray(), y)


def test_adam_classifier_equals_its_dense_fit():
    """Sparse equals dense. (scikit-learn's Adam places ε before the bias correction, so its weights differ
    from ours at ~1e-6 whatever X is: test_estimators.test_adam_close_to_sklearn.)"""
    X, y = estimator_data()
    settings = dict(SGD_SETTINGS, solver="adam", learning_rate_init=0.01)
    ours = sg.MLPClassifier(**settings).fit(X, y)
    dense = sg.MLPClassifier(**settings).fit(X.toarray(), y)
    for a, b in zip(coefficients(ours), coefficients(dense)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), dense.predict_proba(X.toarray()), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X.tocsc()), dense.predict(X.toarray()))
    assert ours.score(X.tocoo(), y) == dense.score(X.toarray(), y)


def test_regressor_partial_fit_and_early_stopping_equal_dense():
    X, _ = estimator_data(seed=1)
    y = np.random.default_rng(1).random((X.shape[0], 2))
    settings = dict(SGD_SETTINGS, learning_rate_init=0.01)
    ours, dense = sg.MLPRegressor(**settings), sg.MLPRegressor(**settings)
    for _ in range(3):
        ours.partial_fit(X, y)
        dense.partial_fit(X.toarray(), y)
    for a, b in zip(coefficients(ours), coefficients(dense)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert ours.score(X, y) == pytest.approx(dense.score(X.toarray(), y), rel=1e-12)
    stopping = dict(settings, early_stopping=True, validation_fraction=0.2, shuffle=True)
    ours = sg.MLPRegressor(**stopping).fit(X, y)
    dense = sg.MLPRegressor(**stopping).fit(X.toarray(), y)
    np.testing.assert_allclose(ours.validation_scores_, dense.validation_scores_, rtol=1e-10)
    for a, b in zip(coefficients(ours), coefficients(dense)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_float32_sparse_gives_a_float32_network():
    X, y = estimator_data()
    X32 = X.astype(np.float32)
    ours = sg.MLPClassifier(**SGD_SETTINGS).fit(X32, y)
    dense = sg.MLPClassifier(**SGD_SETTINGS).fit(X32.toarray(), y)
    assert ours.network_.dtype == np.float32
    for a, b in zip(coefficients(ours), coefficients(dense)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
