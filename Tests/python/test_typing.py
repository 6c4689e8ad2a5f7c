"""Type checking: mypy passes on the package, on a user script that uses the public API, and rejects a
script with a wrong argument type (so the API is typed, not Any)."""
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy", reason="the type checks need mypy, which is not installed (pip install mypy)")

ROOT = pathlib.Path(__file__).resolve().parents[2]

USER_SCRIPT = textwrap.dedent("""
    from typing import Any, Optional

    import numpy as np

    import sgdswift as sg
    from sgdswift.callbacks import Trainable

    rng = np.random.default_rng(0)
    X = rng.random((64, 4))
    y = rng.integers(0, 3, 64)


    class Snapshot(sg.Callback):
        def on_train_begin(self, network: Trainable) -> None:
            self.first = network.parameters.copy()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> Optional[bool]:
            return logs["loss"] > 1e-3


    net = sg.Network([4, 8, 3], hidden="relu", output="softmax", loss="cross_entropy", dtype="float64", seed=1)
    optimizer: sg.Optimizer = sg.Adam(lr=1e-2, betas=(0.9, 0.99))
    history: sg.History = net.fit(X, y, epochs=3, batch_size=16, optimizer=optimizer,
                                  schedule=sg.CosineAnnealing(epochs=3), validation_split=0.25, verbose=0,
                                  callbacks=[Snapshot(), sg.EarlyStopping("val_loss", patience=2),
                                             lambda epoch, logs: None])
    net.fit(X, y, epochs=1, lr=0.1, schedule=lambda epoch: 0.1 / (epoch + 1), callbacks=Snapshot(), verbose=2)
    net.fit(X, y, optimizer=sg.SGD(lr=0.1, momentum=0.9, nesterov=True), verbose=False)
    net.fit(X, y, optimizer=sg.RMSProp(), schedule=sg.ReduceOnPlateau("loss"), verbose=0)
    losses: list[float] = history.history["loss"]
    panels = history.plot(["loss", "accuracy", "lr", "grad_norm"])
    outputs: np.ndarray = net.predict(X)
    scores: dict[str, float] = net.evaluate(X, y)
    loss: float = net.loss(X, y) + net.step(X, y, sg.AdaGrad(lr=0.01))
    dW, db = net.gradient(X, y)
    first_layer: np.ndarray = dW[0] + net.weights[0]
    learning_rate: float = optimizer.lr
    optimizer.lr = 0.5 * learning_rate
    sg.AdamW().step([np.zeros(3)], [np.ones(3)])
    net.save("model.npz")
    copy: sg.Network = sg.load("model.npz")
    check: sg.GradientCheck = sg.gradient_check(copy, X[:4], y[:4], samples=10)
    sg.set_num_threads(sg.get_num_threads())
    classifier = sg.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5)
""")

WRONG_SCRIPT = textwrap.dedent("""
    import numpy as np

    import sgdswift as sg

    X, y = np.zeros((4, 2)), np.zeros(4)
    sg.Network([2, 1]).fit(X, y, epochs="3")
""")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One mypy cache for the module's runs (NumPy's stubs are analysed once), outside the repository."""
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(*arguments, cwd, cache):
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_the_package_type_checks(cache):
    """With the repository's configuration (setup.cfg), on the package's sources."""
    result = mypy("python/sgdswift", cwd=ROOT, cache=cache)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_script_using_the_public_api_type_checks(tmp_path, cache):
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    result = mypy("--check-untyped-defs", "user.py", cwd=tmp_path, cache=cache)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_argument_type_is_rejected_and_named(tmp_path, cache):
    (tmp_path / "wrong.py").write_text(WRONG_SCRIPT)
    result = mypy("wrong.py", cwd=tmp_path, cache=cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Argument "epochs" to "fit" of "Network" has incompatible type "str"; expected "int"' in result.stdout
