"""Bad input is a clear Python exception naming the argument, and the interpreter survives it."""
import subprocess
import sys

import numpy as np
import pytest

import sgdswift as sg

X = np.random.default_rng(0).random((8, 3), dtype=np.float32)
y = np.array([0, 1, 1, 0, 1, 0, 1, 1])

CONSTRUCTION_CASES = [
    (dict(sizes=[3, -2]), ValueError, r"sizes\[1\]: expected an int between 1"),
    (dict(sizes=[3]), ValueError, "sizes: expected at least 2"),
    (dict(sizes=[3, 2.5]), TypeError, r"sizes\[1\]: expected an int"),
    (dict(sizes="784,10"), TypeError, "sizes: expected a sequence"),
    (dict(sizes=[3, 2**40]), ValueError, r"sizes\[1\]"),
    (dict(sizes=[2**30, 2**30]), ValueError, "parameters"),
    (dict(sizes=[3, 2], hidden="sigmod"), ValueError, "hidden: unknown name 'sigmod'"),
    (dict(sizes=[3, 2], output="softmx"), ValueError, "output: unknown name"),
    (dict(sizes=[3, 2], loss="hinge"), ValueError, "loss: unknown name 'hinge'"),
    (dict(sizes=[3, 2], init="zeros"), ValueError, "init: unknown name"),
    (dict(sizes=[3, 2], hidden=3), TypeError, "hidden: expected a name"),
    (dict(sizes=[3, 4, 2], hidden="softmax"), ValueError, "hidden: softmax is an output activation"),
    (dict(sizes=[3, 1], output="softmax", loss="cross_entropy"), ValueError, "softmax needs at least 2 outputs"),
    (dict(sizes=[3, 2], output="softmax", loss="binary_cross_entropy"), ValueError, "needs output='sigmoid'"),
    (dict(sizes=[3, 2], output="sigmoid", loss="cross_entropy"), ValueError, "use binary_cross_entropy"),
    (dict(sizes=[3, 2], dtype="int32"), ValueError, "dtype: expected 'float32' or 'float64'"),
    (dict(sizes=[3, 2], dtype="nonsense"), TypeError, "dtype"),
    (dict(sizes=[3, 2], seed=-1), ValueError, "seed"),
    (dict(sizes=[3, 2], seed=2**64), ValueError, "seed"),
]


@pytest.mark.parametrize("kwargs,error,message", CONSTRUCTION_CASES)
def test_bad_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        sg.Network(**kwargs)


def network():
    return sg.Network([3, 4, 2], seed=0)


nan_X = X.copy()
nan_X[2, 1] = np.nan
inf_Y = np.eye(2)[y].astype(np.float32)
inf_Y[3, 0] = np.inf

DATA_CASES = [
    ("predict", (X[:, :2],), ValueError, r"X: expected shape \(n, 3\), got \(8, 2\)"),
    ("predict", (X[0],), ValueError, r"reshape\(1, -1\)"),
    ("predict", (X.astype(complex),), TypeError, "X: expected real numbers"),
    ("predict", (np.array([["a", "b", "c"]]),), TypeError, "X: expected real numbers"),
    ("predict", ([[1, 2], [3]],), TypeError, "X: expected an array of numbers"),
    ("predict", (nan_X,), ValueError, r"X: contains NaN at row 2, column 1"),
    ("loss", (X, y[:5]), ValueError, "Y: expected 8 rows"),
    ("loss", (X, y + 1), ValueError, r"Y: class labels must lie in 0..1"),
    ("loss", (X, -y), ValueError, r"Y: class labels must lie in 0..1"),
    ("loss", (X, y + 0.5), ValueError, "Y: 1-D targets are class labels and must be whole numbers"),
    ("loss", (X, np.ones((8, 3))), ValueError, r"Y: expected shape \(8, 2\)"),
    ("loss", (X, inf_Y), ValueError, "Y: contains infinity at row 3, column 0"),
    ("loss", (X[:0], y[:0]), ValueError, "X: needs at least one row"),
    ("gradient", (nan_X, y), ValueError, "X: contains NaN"),
    ("evaluate", (X, y.astype(object)), TypeError, "y|Y: expected real numbers"),
    ("fit", (X, y), dict(epochs=-1), ValueError, "epochs: expected an int between 0 and 1000000"),
    ("fit", (X, y), dict(epochs=2.5), TypeError, "epochs: expected an int"),
    ("fit", (X, y), dict(batch_size=0), ValueError, "batch_size: expected an int between 1 and"),
    ("fit", (X, y), dict(lr=-1.0), ValueError, r"lr: expected a number in \[0, inf\), got -1.0"),
    ("fit", (X, y), dict(lr=float("nan")), TypeError, "lr: expected a finite number, got nan"),
    ("fit", (X, y), dict(lr="fast"), TypeError, "lr: expected a finite number, got 'fast'"),
    ("fit", (X, y), dict(shuffle="yes"), TypeError, "shuffle"),
    ("fit", (X, y), dict(validation_data=X), TypeError, "validation_data: expected a pair"),
    ("fit", (X, y), dict(validation_data=(X[:, :2], y)), ValueError, "validation_data X: expected shape"),
    ("fit", (X, y), dict(validation_data=(X, y + 5)), ValueError, "validation_data y: class labels"),
    ("fit", (nan_X, y), {}, ValueError, "X: contains NaN"),
    ("fit", (X, y), dict(callbacks=3), TypeError, "callbacks"),
]


@pytest.mark.parametrize("case", DATA_CASES, ids=lambda case: f"{case[0]}-{case[-1][:30]}")
def test_bad_data(case):
    method, args, *rest = case
    kwargs, error, message = (rest if len(rest) == 3 else [{}] + rest)
    net = network()
    before = net.parameters.copy()
    with pytest.raises(error, match=message):
        getattr(net, method)(*args, **{"verbose": False, **kwargs} if method == "fit" else kwargs)
    np.testing.assert_array_equal(net.parameters, before)  # a rejected call changes nothing


def test_a_fit_refused_for_its_schedule_changes_nothing():
    """A schedule whose first rate is not a rate refuses the fit before it touches the network: later
    training is the same as if the refused call had never been made (same shuffling stream)."""
    refused, untouched = network(), network()
    optimizer = sg.SGD(lr=0.1)
    with pytest.raises(ValueError, match="schedule: expected a finite learning rate ≥ 0 for epoch 0, got None"):
        refused.fit(X, y, epochs=2, optimizer=optimizer, schedule=lambda epoch: None, verbose=0)
    assert refused.optimizer is None and optimizer.steps == 0 and refused.history is None
    refused.fit(X, y, epochs=2, lr=0.1, verbose=0)
    untouched.fit(X, y, epochs=2, lr=0.1, verbose=0)
    np.testing.assert_array_equal(refused.parameters, untouched.parameters)


def test_interpreter_survives_every_bad_input():
    """The whole battery in a fresh interpreter: a crash (a Swift trap is SIGILL) would show as its exit code."""
    script = (
        "import sys; sys.path[:0] = [%r]\n"
        "import test_errors as t\n"
        "for kwargs, error, message in t.CONSTRUCTION_CASES:\n"
        "    try: t.sg.Network(**kwargs)\n"
        "    except (TypeError, ValueError): pass\n"
        "for case in t.DATA_CASES: \n"
        "    try: t.test_bad_data(case)\n"
        "    except Exception as e: print('unexpected', case[0], e); sys.exit(3)\n"
        "print('survived')\n" % (str(__import__('pathlib').Path(__file__).parent),)
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("survived")


def test_one_network_refuses_a_second_concurrent_call():
    """Whichever of two threads comes second is refused with a clear error; nothing is corrupted."""
    import threading

    net = network()
    big = np.random.default_rng(0).random((200_000, 3), dtype=np.float32)
    labels = np.zeros(200_000, dtype=np.int64)
    errors = []
    started = threading.Event()

    def train():
        started.set()
        try:
            net.fit(big, labels, epochs=3, batch_size=1, lr=0.01, verbose=False)
        except RuntimeError as error:
            errors.append(str(error))

    thread = threading.Thread(target=train)
    thread.start()
    started.wait()
    while thread.is_alive() and not errors:
        try:
            net.predict(X)
        except RuntimeError as error:
            errors.append(str(error))
    thread.join()
    assert errors and "already in use" in errors[0]
    assert np.isfinite(net.parameters).all()
    assert net.predict(X).shape == (len(X), 2)  # usable again once the other call is over
