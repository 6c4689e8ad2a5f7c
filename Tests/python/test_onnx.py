"""Network.export to ONNX: the file, loaded with onnxruntime, gives `predict`'s outputs (≤ 1e-5 in
float32, ≤ 1e-12 in float64) for every hidden activation × output × dtype; the graph passes onnx's
checker; bad formats are refused; the estimators export through their network."""
import os
import re
import sys

import numpy as np
import pytest

from conftest import VALID_COMBINATIONS
import sgdswift as sg

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}
HIDDEN_AND_OUTPUT = sorted({(hidden, output, loss) for hidden, output, loss in VALID_COMBINATIONS
                            if loss in ("quadratic", "poisson")})


# ONNX Runtime's CPU provider has Erf (gelu's) for float32 only: float64 gelu models are run by onnx's own
# reference evaluator, whose Erf computes in float32 (math.erf rounded), hence its looser tolerance.
FLOAT32_ONLY_IN_ONNXRUNTIME = {"gelu"}
REFERENCE_EVALUATOR_TOLERANCE = 1e-6


def run(path, X, runtime="onnxruntime"):
    if runtime == "reference":
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(os.fspath(path)).run(None, {"X": X})[0]
    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden, output, loss", HIDDEN_AND_OUTPUT)
def test_onnxruntime_gives_predict(tmp_path, rng, hidden, output, loss, dtype):
    net = sg.Network([5, 8, 7, 3], hidden=hidden, output=output, loss=loss, dtype=dtype, seed=4)
    net.parameters[...] = rng.normal(scale=0.7, size=net.parameters.size)  # both signs of every activation's input
    X = rng.normal(scale=2.0, size=(33, 5)).astype(dtype)
    path = tmp_path / "net.onnx"
    net.export(path)
    float64_only_elsewhere = dtype == "float64" and hidden in FLOAT32_ONLY_IN_ONNXRUNTIME
    outputs = run(path, X, "reference" if float64_only_elsewhere else "onnxruntime")
    assert outputs.dtype == np.dtype(dtype) and outputs.shape == (33, 3)
    tolerance = REFERENCE_EVALUATOR_TOLERANCE if float64_only_elsewhere else TOLERANCE[dtype]
    np.testing.assert_allclose(outputs, net.predict(X), rtol=tolerance, atol=tolerance)


def test_dropout_is_not_in_the_inference_graph(tmp_path, rng):
    net = sg.Network([5, 8, 3], hidden="relu", output="softmax", loss="cross_entropy", dtype="float64", seed=2,
                     dropout=0.5)
    net.fit(rng.normal(size=(40, 5)), rng.integers(0, 3, 40), epochs=2, verbose=0)  # trained with dropout
    X = rng.normal(size=(10, 5))
    net.export(tmp_path / "net.onnx")
    np.testing.assert_allclose(run(tmp_path / "net.onnx", X), net.predict(X), rtol=1e-12, atol=1e-12)


def test_graph_is_checked_and_named(tmp_path):
    net = sg.Network([4, 6, 2], hidden="relu", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    net.export(tmp_path / "net.onnx")
    model = onnx.load(tmp_path / "net.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Relu", "Gemm", "Softmax"]
    (inputs,), (outputs,) = model.graph.input, model.graph.output
    assert (inputs.name, outputs.name) == ("X", "Y")
    assert inputs.type.tensor_type.elem_type == outputs.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    weights = {tensor.name: onnx.numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    for layer, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
        np.testing.assert_array_equal(weights[f"W{layer}"], w)
        np.testing.assert_array_equal(weights[f"b{layer}"], b)
    assert os.listdir(tmp_path) == ["net.onnx"]  # written atomically: no temporary file left behind


def test_format_argument(tmp_path, rng):
    net = sg.Network([3, 2], seed=1)
    net.export(tmp_path / "model.bin", format="onnx")
    X = rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(run(tmp_path / "model.bin", X), net.predict(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=re.escape("format: cannot tell the format from the file name")):
        net.export(tmp_path / "model.npz")
    with pytest.raises(ValueError, match=re.escape("format: expected 'onnx', got 'tflite'")):
        net.export(tmp_path / "model.onnx", format="tflite")
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]


def test_an_activation_without_onnx_form_is_refused(tmp_path):
    from sgdswift import _onnx

    net = sg.Network([3, 2], seed=1)
    with pytest.raises(ValueError, match="export: activation 'swish' of layer 1 has no ONNX form"):
        _onnx.model(net.weights, net.biases, ["swish"], "")


def test_without_onnx_a_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    monkeypatch.delitem(sys.modules, "sgdswift._onnx", raising=False)  # as if never imported
    monkeypatch.delattr(sg, "_onnx", raising=False)
    with pytest.raises(ImportError, match=re.escape("Network.export needs the onnx package, which is not installed: "
                                                    "pip install onnx")):
        sg.Network([3, 2]).export(tmp_path / "model.onnx")
    assert os.listdir(tmp_path) == []


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimators_export_their_network(tmp_path, rng):
    estimators = pytest.importorskip("sgdswift.estimators")
    exceptions = pytest.importorskip("sklearn.exceptions")
    X = rng.normal(size=(60, 4))
    classifier = estimators.MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    classifier.fit(X, rng.integers(0, 3, 60))
    regressor = estimators.MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    regressor.fit(X, rng.normal(size=60))
    classifier.export(tmp_path / "classifier.onnx")
    regressor.export(tmp_path / "regressor.onnx")
    np.testing.assert_allclose(run(tmp_path / "classifier.onnx", X), classifier.predict_proba(X), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(run(tmp_path / "regressor.onnx", X)[:, 0], regressor.predict(X), rtol=1e-12,
                               atol=1e-12)
    with pytest.raises(exceptions.NotFittedError):
        estimators.MLPRegressor().export(tmp_path / "unfitted.onnx")


@pytest.mark.parametrize("path, format, error, message", [
    (None, None, TypeError, "path: expected a file name"),
    (None, "onnx", TypeError, "path: expected a file name"),
    (b"net.onnx", None, TypeError, "path: expected a file name"),
    ("net.onnx", ["onnx"], TypeError, "format: expected 'onnx' or None, got list"),
])
def test_export_names_the_wrong_argument(tmp_path, path, format, error, message):
    net = sg.Network([2, 3, 1], dtype="float64", seed=0)
    with pytest.raises(error, match=message):
        net.export(path, format=format)
    with pytest.raises(TypeError, match="path: expected a file name"):
        net.save(None)
    assert list(tmp_path.iterdir()) == []
