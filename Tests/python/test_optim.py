"""Optimizers: the core's update rules against a NumPy transcription of their documented equations
and, when it is installed, against torch.optim itself."""
import numpy as np
import pytest

import optim_reference
import reference
import sgdswift as sg

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("AdaGrad", dict(lr=0.1)),
    ("AdaGrad", dict(lr=0.1, eps=1e-6, weight_decay=0.05)),
    ("RMSProp", dict(lr=0.01)),
    ("RMSProp", dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.02)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items())}" for name, options in CASES]


def gradient_sequence(steps=100, shapes=((3, 4), (4,)), seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) * (1 + 0.1 * t) for shape in shapes] for t in range(steps)]


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_100_steps_equal_the_documented_equations(name, options):
    rng = np.random.default_rng(1)
    parameters = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    expected = [p.copy() for p in parameters]
    ours = getattr(sg, name)(**options)
    transcriptions = [getattr(optim_reference, name)(**options) for _ in parameters]
    for gradients in gradient_sequence():
        ours.step(parameters, gradients)  # both arrays as one parameter vector, in place
        expected = [rule.step(p, g) for rule, p, g in zip(transcriptions, expected, gradients)]
    assert ours.steps == 100
    for actual, wanted in zip(parameters, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_100_steps_equal_torch(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    parameters = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    tensors = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in parameters]
    torch_name = {"AdaGrad": "Adagrad", "RMSProp": "RMSprop"}.get(name, name)
    theirs = getattr(torch.optim, torch_name)(tensors, **options)
    ours = getattr(sg, name)(**options)
    for gradients in gradient_sequence(seed=3):
        ours.step(parameters, gradients)
        for tensor, g in zip(tensors, gradients):
            tensor.grad = torch.tensor(g)
        theirs.step()
    for actual, tensor in zip(parameters, tensors):
        np.testing.assert_allclose(actual, tensor.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_step_works_in_place_on_float32_and_converts_gradients():
    v = np.array([1.0, -2.0], dtype=np.float32)
    address = v.ctypes.data
    sg.SGD(lr=0.5).step([v], [[2, 2]])  # an int list as gradient: converted
    assert v.ctypes.data == address
    np.testing.assert_array_equal(v, np.array([0.0, -3.0], dtype=np.float32))


def test_minimises_a_two_variable_surface():
    """The subject's picture: C(v1, v2) = v1² + 3 v2², ∇C = (2 v1, 6 v2), minimum at 0."""
    for optimizer in (sg.SGD(lr=0.1), sg.SGD(lr=0.05, momentum=0.9), sg.Adam(lr=0.1)):
        v = np.array([2.0, 1.0])
        for _ in range(300):
            optimizer.step([v], [v * [2.0, 6.0]])
        assert np.abs(v).max() < 1e-3, (optimizer, v)


def test_state_belongs_to_its_parameters():
    optimizer = sg.Adam()
    v = np.zeros(3)
    optimizer.step([v], [np.ones(3)])
    with pytest.raises(ValueError, match="holds the state of other parameters"):
        optimizer.step([np.zeros(4)], [np.ones(4)])
    with pytest.raises(ValueError, match="holds the state of other parameters"):
        sg.Network([3, 2], seed=0).fit(np.zeros((2, 3)), [0, 1], epochs=1, optimizer=optimizer, verbose=0)
    optimizer.reset()
    optimizer.step([np.zeros(4)], [np.ones(4)])
    assert optimizer.steps == 1


@pytest.mark.parametrize("make,message", [
    (lambda: sg.SGD(lr=-1), r"lr: expected a number in \[0, inf\)"),
    (lambda: sg.SGD(momentum=0.0, nesterov=True), "nesterov: needs momentum > 0"),
    (lambda: sg.Adam(betas=(1.0, 0.9)), r"betas\[0\]: expected a number in \[0, 1\)"),
    (lambda: sg.RMSProp(eps=0), r"eps: expected a number in \(0, inf\)"),
    (lambda: sg.SGD().step([np.zeros(3, dtype=int)], [np.ones(3)]), r"parameters\[0\]: expected float32 or float64"),
    (lambda: sg.SGD().step([np.zeros((3, 2)).T], [np.ones((2, 3))]), "C-contiguous and writable"),
    (lambda: sg.SGD().step([np.zeros(3)], [np.ones(4)]), r"gradients\[0\]: expected shape \(3,\)"),
    (lambda: sg.SGD().step([np.zeros(3)], []), "gradients: expected 1 arrays"),
    (lambda: sg.SGD().step(np.zeros(3), np.ones(3)), "expected lists of arrays"),
])
def test_bad_optimizer_arguments(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def data(rows=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 5))
    return X, rng.integers(0, 3, rows)


def float64_network(seed=4):
    return sg.Network([5, 7, 3], hidden="tanh", output="softmax", loss="cross_entropy", dtype="float64", seed=seed)


@pytest.mark.parametrize("name,options", CASES[1::2], ids=IDS[1::2])
def test_fit_with_an_optimizer_equals_reference_backprop_and_update(name, options):
    X, y = data()
    net = float64_network()
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    transcription = [getattr(optim_reference, name)(**options) for _ in range(4)]
    net.fit(X, y, epochs=2, batch_size=16, shuffle=False, optimizer=getattr(sg, name)(**options), verbose=0)
    for _ in range(2):
        for start in range(0, len(X), 16):
            dW, db = reference.gradient(weights, biases, X[start:start + 16], y[start:start + 16], "tanh", "softmax",
                                        "cross_entropy")
            weights = [transcription[i].step(w, g) for i, (w, g) in enumerate(zip(weights, dW))]
            biases = [transcription[2 + i].step(b, g) for i, (b, g) in enumerate(zip(biases, db))]
    for actual, expected in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def test_optimizer_state_carries_over_between_fits():
    X, y = data()
    once, twice, fresh = float64_network(), float64_network(), float64_network()
    once.fit(X, y, epochs=2, batch_size=16, shuffle=False, optimizer=sg.Adam(lr=0.01), verbose=0)
    twice.fit(X, y, epochs=1, batch_size=16, shuffle=False, optimizer=sg.Adam(lr=0.01), verbose=0)
    twice.fit(X, y, epochs=1, batch_size=16, shuffle=False, verbose=0)  # reuses twice.optimizer
    fresh.fit(X, y, epochs=1, batch_size=16, shuffle=False, optimizer=sg.Adam(lr=0.01), verbose=0)
    fresh.fit(X, y, epochs=1, batch_size=16, shuffle=False, optimizer=sg.Adam(lr=0.01), verbose=0)
    assert twice.optimizer.steps == 8
    np.testing.assert_array_equal(twice.parameters, once.parameters)
    assert not np.array_equal(fresh.parameters, once.parameters)


@pytest.mark.parametrize("optimizer", [sg.Adam(lr=0.01, amsgrad=True), sg.SGD(lr=0.1, momentum=0.9), sg.RMSProp()],
                         ids=["adam", "momentum", "rmsprop"])
def test_optimizer_state_is_saved_with_the_model(tmp_path, optimizer):
    X, y = data()
    net = float64_network()
    net.fit(X, y, epochs=1, batch_size=16, optimizer=optimizer, verbose=0)
    net.save(tmp_path / "m.npz")
    copy = sg.load(tmp_path / "m.npz")
    assert type(copy.optimizer) is type(optimizer) and copy.optimizer.get_config() == optimizer.get_config()
    assert copy.optimizer.steps == optimizer.steps == 4
    for model in (net, copy):
        model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert copy.parameters.tobytes() == net.parameters.tobytes()


def test_step_is_one_update_and_returns_the_loss_before_it():
    X, y = data(rows=10)
    net = float64_network()
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    before = net.loss(X, y)
    assert net.step(X, y, sg.SGD(lr=0.5)) == pytest.approx(before, rel=1e-14)
    dW, db = reference.gradient(weights, biases, X, y, "tanh", "softmax", "cross_entropy")
    for actual, expected in zip(net.weights + net.biases, [w - 0.5 * g for w, g in zip(weights + biases, dW + db)]):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)
