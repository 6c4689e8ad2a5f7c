"""The hidden activations leaky_relu, elu, gelu, softplus and silu, and one activation per hidden layer:
values and derivatives against the NumPy reference (reference.py), torch.nn.functional where it is
installed and finite differences; stability for |z| ≫ 1; lists of names; save and load."""
import os

import numpy as np
import pytest

import reference
import sgdswift as sg
from conftest import HIDDEN_ACTIVATIONS, HIDDEN_ONLY_ACTIVATIONS

Z = np.concatenate([np.linspace(-6, 6, 49), [-40.0, -20.5, -1e-3, 0.0, 1e-3, 20.5, 40.0]])
HUGE = np.array([-1e300, -1e30, -800.0, 800.0, 1e30, 1e300])
UNITS = 64  # a power of two, so that scaling the gradient by it is exact


def activation_probe(hidden, z, dtype="float64"):
    """A network [1, m, m] whose hidden layer's z is `z` for the input 1 (W1 = z, b1 = 0) and whose output
    layer is the identity (W2 = I, b2 = 0): predict gives σ(z) exactly. Its mae loss against targets far
    below σ(z) has ∂C/∂a = 1/m, so m·∂C/∂b1 = σ'(z)."""
    net = sg.Network([1, len(z), len(z)], hidden=hidden, output="identity", loss="mae", dtype=dtype, seed=0)
    net.weights[0][...] = z
    net.biases[0][...] = 0
    net.weights[1][...] = np.eye(len(z))
    net.biases[1][...] = 0
    return net


def values_and_derivatives(hidden, z, dtype="float64"):
    z = np.resize(z, UNITS)  # repeats to the probe's width
    net = activation_probe(hidden, z, dtype)
    x = np.ones((1, 1))
    a = net.predict(x)[0]
    below = np.full((1, UNITS), -np.finfo(dtype).max)
    derivative = net.gradient(x, below)[1][0] * UNITS
    return net.weights[0][0].astype(np.float64), a, derivative


@pytest.mark.parametrize("hidden", HIDDEN_ONLY_ACTIVATIONS)
def test_values_and_derivatives_equal_the_reference(hidden):
    for chunk in (Z[:UNITS], Z[UNITS:]):
        z, a, derivative = values_and_derivatives(hidden, chunk)
        # atol: the reference's ½ z (1 + erf(z/√2)) loses gelu's small values for z ≪ 0 to cancellation
        np.testing.assert_allclose(a, reference.ACTIVATIONS[hidden](z), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(derivative, reference.DERIVATIVES[hidden](z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("hidden", HIDDEN_ONLY_ACTIVATIONS)
def test_float32_values_and_derivatives_agree_with_the_reference(hidden):
    z, a, derivative = values_and_derivatives(hidden, Z[:UNITS], "float32")
    np.testing.assert_allclose(a, reference.ACTIVATIONS[hidden](z), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(derivative, reference.DERIVATIVES[hidden](z), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("hidden", HIDDEN_ONLY_ACTIVATIONS)
def test_derivatives_equal_finite_differences_of_the_values(hidden):
    z = Z[np.abs(Z) > 1e-2]  # away from leaky_relu's and elu's kink at 0
    h = 1e-6
    _, up, _ = values_and_derivatives(hidden, z + h)
    _, down, _ = values_and_derivatives(hidden, z - h)
    _, _, derivative = values_and_derivatives(hidden, z)
    np.testing.assert_allclose(derivative, (up - down) / (2 * h), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", HIDDEN_ONLY_ACTIVATIONS)
def test_no_overflow_for_huge_inputs(hidden, dtype):
    """Finite values and derivatives for |z| ≫ 1 (the float32 network sees ±inf for 1e300 and 1e30 ⋅ 1e30
    overflows; the probe stays within its range), tending to the activation's limits."""
    z = HUGE if dtype == "float64" else np.array([-1e30, -1e4, -100.0, 100.0, 1e4, 1e30])
    z, a, derivative = values_and_derivatives(hidden, z, dtype)
    assert np.isfinite(a).all() and np.isfinite(derivative).all()
    positive = z > 0
    np.testing.assert_array_equal(a[positive], z[positive].astype(dtype))  # every one is z for z ≫ 1
    np.testing.assert_array_equal(derivative[positive], 1)
    limit = {"leaky_relu": 0.01 * z, "elu": -1.0}.get(hidden, 0.0)
    # atol: e^(−100) ≈ 4e-44 is still a float32 (subnormal)
    np.testing.assert_allclose(a[~positive], np.broadcast_to(limit, z.shape)[~positive], rtol=1e-6, atol=1e-40)
    np.testing.assert_allclose(derivative[~positive], 0.01 if hidden == "leaky_relu" else 0, rtol=1e-6, atol=1e-40)


@pytest.fixture
def torch():
    cpus = os.sched_getaffinity(0)
    # importing torch here pins this process to one CPU, which the subprocesses of later tests inherit
    # (test_build's OpenBLAS check then sees 1 thread): the fixture restores the CPUs it found
    yield pytest.importorskip("torch")
    os.sched_setaffinity(0, cpus)


@pytest.mark.parametrize("hidden", HIDDEN_ONLY_ACTIVATIONS)
def test_values_and_derivatives_equal_torch(hidden, torch):
    functional = {"leaky_relu": torch.nn.functional.leaky_relu, "elu": torch.nn.functional.elu,
                  "gelu": torch.nn.functional.gelu, "softplus": torch.nn.functional.softplus,
                  "silu": torch.nn.functional.silu}[hidden]
    for chunk in (Z[:UNITS], Z[UNITS:]):
        z, a, derivative = values_and_derivatives(hidden, chunk)
        # torch's softplus returns z itself above its threshold 20 (off by log1p(e^−z) ≈ 2e-9 at 20.5)
        kept = z <= 20 if hidden == "softplus" else np.ones(z.shape, bool)
        tensor = torch.tensor(z[kept], dtype=torch.float64, requires_grad=True)
        out = functional(tensor)
        out.sum().backward()
        # atol: torch's gelu is ½ z (1 + erf(z/√2)), whose small values for z ≪ 0 cancel
        np.testing.assert_allclose(a[kept], out.detach().numpy(), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(derivative[kept], tensor.grad.numpy(), rtol=1e-13, atol=1e-15)


# ---- one activation per hidden layer ------------------------------------------------------------------

def mixed_network(dtype="float64", seed=3):
    net = sg.Network([4, 6, 5, 5, 3], hidden=["gelu", "leaky_relu", "silu"], output="softmax", loss="cross_entropy",
                     dtype=dtype, seed=seed)
    net.parameters[...] = np.random.default_rng(seed).normal(scale=0.7, size=net.parameters.size)
    return net


def test_a_list_gives_each_hidden_layer_its_activation():
    rng = np.random.default_rng(1)
    net = mixed_network()
    assert net.hidden == ["gelu", "leaky_relu", "silu"] == net.hidden_activations
    X, y = rng.normal(size=(300, 4)), rng.integers(0, 3, 300)  # > one 256-row chunk
    hidden = ["gelu", "leaky_relu", "silu"]
    args = (net.weights, net.biases, X, y, hidden, "softmax", "cross_entropy")
    np.testing.assert_allclose(net.predict(X), reference.forward(net.weights, net.biases, X, hidden, "softmax")[1][-1],
                               rtol=1e-12)
    assert net.loss(X, y) == pytest.approx(reference.loss(*args), rel=1e-12)
    for actual, expected in zip(sum(net.gradient(X, y), []), sum(reference.gradient(*args), [])):
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-14)
    assert sg.gradient_check(net, X[:8], y[:8]).max_relative_error <= 1e-7


def test_one_name_equals_the_same_name_per_layer():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    nets = [sg.Network([4, 5, 5, 3], hidden=hidden, output="softmax", loss="cross_entropy", seed=4)
            for hidden in ("elu", ["elu", "elu"], ("elu", "elu"))]
    assert nets[0].hidden == "elu" and nets[0].hidden_activations == ["elu", "elu"] and nets[2].hidden == ["elu", "elu"]
    for net in nets:
        net.fit(X, y, epochs=2, batch_size=8, lr=0.1, verbose=False)
    assert nets[0].parameters.tobytes() == nets[1].parameters.tobytes() == nets[2].parameters.tobytes()


@pytest.mark.parametrize("hidden,init", [(["relu", "gelu"], "he"), (["leaky_relu", "elu"], "he"),
                                         (["silu", "tanh"], "xavier"), ("softplus", "xavier"), ("gelu", "he")])
def test_auto_initialisation_follows_the_hidden_activations(hidden, init):
    auto = sg.Network([4, 5, 5, 3], hidden=hidden, seed=6)
    chosen = sg.Network([4, 5, 5, 3], hidden=hidden, init=init, seed=6)
    assert auto.parameters.tobytes() == chosen.parameters.tobytes()


@pytest.mark.parametrize("hidden,error,match", [
    (["relu"], ValueError, r"hidden: expected one activation per hidden layer \(2 names\), got 1"),
    (["relu", "tanh", "elu"], ValueError, r"hidden: expected one activation per hidden layer \(2 names\), got 3"),
    (["relu", 3], TypeError, r"hidden\[1\]: expected a name"),
    ({"relu"}, TypeError, "hidden: expected a name"),
    (np.array(["relu", "tanh"]), TypeError, "hidden: expected a name"),
    (["relu", "sigmod"], ValueError, r"hidden\[1\]: unknown name 'sigmod'"),
    (["softmax", "relu"], ValueError, r"hidden\[0\]: softmax is an output activation"),
    (["relu", "exp"], ValueError, r"hidden\[1\]: exp is an output activation"),
])
def test_bad_lists_are_refused_naming_the_argument(hidden, error, match):
    with pytest.raises(error, match=match):
        sg.Network([3, 4, 4, 2], hidden=hidden)


@pytest.mark.parametrize("output", HIDDEN_ONLY_ACTIVATIONS)
def test_the_new_activations_are_hidden_only(output):
    with pytest.raises(ValueError, match=f"output: {output} is a hidden activation"):
        sg.Network([3, 4, 2], hidden="relu", output=output, loss="mse")


def test_every_hidden_activation_name_is_accepted():
    for hidden in HIDDEN_ACTIVATIONS:
        assert sg.Network([2, 3, 1], hidden=hidden).hidden_activations == [hidden]
    assert sg.Network([2, 1], hidden=[]).hidden_activations == []


def test_training_with_the_new_activations_learns():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like: needs the hidden layers
    for hidden in HIDDEN_ONLY_ACTIVATIONS:
        net = sg.Network([2, 16, 16, 2], hidden=[hidden, "tanh"], output="softmax", loss="cross_entropy",
                         dtype="float64", seed=7)
        before = net.loss(X, y)
        net.fit(X, y, epochs=30, batch_size=16, optimizer=sg.Adam(lr=0.01), verbose=False)
        assert net.loss(X, y) < 0.5 * before, hidden


# ---- save and load ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_and_load_keep_the_activation_of_each_layer(tmp_path, dtype):
    net = mixed_network(dtype)
    net.save(tmp_path / "m.npz")
    copy = sg.load(tmp_path / "m.npz")
    assert copy.hidden == net.hidden == ["gelu", "leaky_relu", "silu"]
    X = np.random.default_rng(6).normal(size=(9, 4))
    assert copy.predict(X).tobytes() == net.predict(X).tobytes()


def test_a_file_with_one_hidden_name_still_loads(tmp_path):
    """The fields exactly as sgdswift wrote them before lists existed: `hidden` a 0-d string."""
    net = sg.Network([3, 4, 4, 2], hidden="elu", output="softmax", loss="cross_entropy", dtype="float64", seed=8)
    np.savez(tmp_path / "old.npz", format=np.array("sgdswift.Network"), version=np.array(1),
             sizes=np.array([3, 4, 4, 2], dtype=np.int64), hidden=np.array("elu"), output=np.array("softmax"),
             loss=np.array("cross_entropy"), init=np.array("auto"), dtype=np.array("float64"),
             seed=np.array(8, dtype=np.uint64), fits=np.array(0, dtype=np.int64), parameters=net.parameters)
    copy = sg.load(tmp_path / "old.npz")
    assert copy.hidden == "elu" and copy.hidden_activations == ["elu", "elu"]
    X = np.random.default_rng(7).normal(size=(5, 3))
    assert copy.predict(X).tobytes() == net.predict(X).tobytes()
    net.save(tmp_path / "new.npz")  # one name is still written as one 0-d string
    assert np.load(tmp_path / "new.npz")["hidden"].shape == ()


@pytest.mark.parametrize("hidden", [np.array([["relu", "relu"]]), np.array(["relu"]), np.array(["relu", "softmax"])])
def test_a_bad_hidden_field_is_a_value_error(tmp_path, hidden):
    net = sg.Network([3, 4, 4, 2], hidden="relu", seed=1)
    net.save(tmp_path / "m.npz")
    fields = dict(np.load(tmp_path / "m.npz"))
    fields["hidden"] = hidden
    np.savez(tmp_path / "m.npz", **fields)
    with pytest.raises(ValueError, match="hidden"):
        sg.load(tmp_path / "m.npz")


def test_an_output_activation_named_for_hidden_layers_is_refused_even_without_hidden_layers():
    """A network without hidden layers uses no hidden activation, but a wrong name is a mistake to report."""
    with pytest.raises(ValueError, match="hidden: softmax is an output activation"):
        sg.Network([3, 2], hidden="softmax", output="sigmoid", loss="quadratic")
    with pytest.raises(ValueError, match="hidden: exp is an output activation"):
        sg.Network([3, 2], hidden="exp", output="sigmoid", loss="quadratic")
