"""Network.fit's class_weight: per-class weights turned into per-row sample weights, checked against the
same fit with the equivalent sample_weight, against scikit-learn's compute_class_weight("balanced") and
against repeated rows (integer weights, full batch)."""
import re

import numpy as np
import pytest

import sgdswift as sg

ROWS, INPUTS, CLASSES = 24, 4, 4


def network(outputs=CLASSES, output="softmax", loss="cross_entropy"):
    return sg.Network([INPUTS, 5, outputs], hidden="tanh", output=output, loss=loss, dtype="float64", seed=3)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(ROWS, INPUTS))
    y = rng.choice([0, 1, 3], size=ROWS, p=[0.6, 0.3, 0.1])  # class 2 absent, the others unbalanced
    return X, y


def fitted(X, y, net=None, **fit_arguments):
    net = net or network()
    net.fit(X, y, epochs=3, batch_size=5, lr=0.3, verbose=0, **fit_arguments)
    return net.parameters.copy()


def test_dict_equals_the_equivalent_sample_weight(data):
    X, y = data
    class_weight = {0: 0.5, 3: 4.0}  # class 1 left out: weight 1
    per_row = np.array([class_weight.get(label, 1.0) for label in y])
    np.testing.assert_array_equal(fitted(X, y, class_weight=class_weight), fitted(X, y, sample_weight=per_row))


def test_class_weight_multiplies_sample_weight(data, rng):
    X, y = data
    sample_weight = rng.uniform(0.1, 2.0, ROWS)
    class_weight = {0: 2.0, 1: 0.25, 3: 3.0}
    per_row = np.array([class_weight[label] for label in y]) * sample_weight
    np.testing.assert_array_equal(fitted(X, y, class_weight=class_weight, sample_weight=sample_weight),
                                  fitted(X, y, sample_weight=per_row))


def test_balanced_equals_scikit_learn(data):
    compute_class_weight = pytest.importorskip("sklearn.utils.class_weight").compute_class_weight
    X, y = data
    classes = np.unique(y)
    by_class = dict(zip(classes, compute_class_weight("balanced", classes=classes, y=y)))
    per_row = np.array([by_class[label] for label in y])
    assert not np.allclose(per_row, 1)
    np.testing.assert_array_equal(fitted(X, y, class_weight="balanced"), fitted(X, y, sample_weight=per_row))


def test_one_sigmoid_output_takes_0_1_targets(rng):
    X, y = rng.normal(size=(ROWS, INPUTS)), rng.integers(0, 2, ROWS)
    binary = dict(outputs=1, output="sigmoid", loss="binary_cross_entropy")
    per_row = np.where(y == 1, 3.0, 1.0)
    np.testing.assert_array_equal(fitted(X, y, network(**binary), class_weight={1: 3.0}),
                                  fitted(X, y, network(**binary), sample_weight=per_row))


def test_integer_weights_equal_repeated_rows(data):
    X, y = data
    class_weight = {0: 1, 1: 2, 3: 3}
    repeats = np.array([class_weight[label] for label in y])
    full_batch = dict(batch_size=None, shuffle=False, epochs=5, lr=0.5, verbose=0)
    weighted, repeated = network(), network()
    weighted.fit(X, y, class_weight=class_weight, **full_batch)
    repeated.fit(np.repeat(X, repeats, axis=0), np.repeat(y, repeats), **full_batch)
    np.testing.assert_allclose(weighted.parameters, repeated.parameters, rtol=1e-12, atol=1e-14)


REGRESSION = dict(outputs=3, output="identity", loss="quadratic")


@pytest.mark.parametrize("arguments, targets, class_weight, error, message", [
    (REGRESSION, "real", "balanced", ValueError, "class_weight: applies to class labels"),
    (dict(REGRESSION, outputs=1), "binary", {1: 2.0}, ValueError, "class_weight: applies to class labels"),
    ({}, "labels", "balance", ValueError, "class_weight: expected a dict {label: weight} or 'balanced', got 'balance'"),
    ({}, "labels", {4: 1.0}, ValueError, "class_weight: expected labels in 0..3 as keys, got 4"),
    ({}, "labels", {1: -1.0}, ValueError, "class_weight[1]: expected a number in [0, inf), got -1.0"),
    ({}, "labels", [1.0, 2.0], TypeError, "class_weight: expected a dict {label: weight} or 'balanced', got list"),
    ({}, "labels", {0: 0, 1: 0, 3: 0}, ValueError, "class_weight: expected at least one non-zero weight"),
])
def test_refused_class_weights_change_nothing(data, arguments, targets, class_weight, error, message):
    X, y = data
    Y = {"real": np.eye(3)[y % 3], "binary": (y > 0).astype(float), "labels": y}[targets]
    net = network(**arguments)
    before = net.parameters.copy()
    with pytest.raises(error, match=re.escape(message)):
        net.fit(X, Y, epochs=1, verbose=0, class_weight=class_weight)
    np.testing.assert_array_equal(net.parameters, before)
    assert net.history is None
