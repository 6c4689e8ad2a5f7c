"""sgdswift among the tools around it: threadpoolctl lists and limits its thread pool, and GridSearchCV's
worker processes run it on their share of the cores with the same results; the progress bar fits the
terminal and stays silent in a Jupyter kernel without ipywidgets; mypy knows the estimators' types;
PyPI accepts the package's classifiers."""
import configparser
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import sgdswift as sg
from sgdswift import _core


@pytest.fixture
def threads_restored():
    before = sg.get_num_threads()
    yield
    sg.set_num_threads(before)


def import_threadpoolctl():
    return pytest.importorskip("threadpoolctl", minversion="3.5",
                               reason="needs threadpoolctl 3.5 or later (pip install threadpoolctl)")


def sgdswift_pools():
    return [pool for pool in import_threadpoolctl().threadpool_info() if pool["user_api"] == "sgdswift"]


# ---- threadpoolctl ---------------------------------------------------------------------------------

def test_threadpool_info_lists_the_pool_with_its_thread_count(threads_restored):
    sg.set_num_threads(3)
    [pool] = sgdswift_pools()
    assert pool["internal_api"] == "sgdswift" and pool["version"] == sg.__version__
    assert pool["num_threads"] == 3
    assert os.path.samefile(pool["filepath"], _core.__file__)


def test_another_extension_module_named_core_is_not_taken_for_sgdswift():
    """threadpoolctl matches libraries by file name, and other packages' extensions are named _core too
    (scipy's HiGHS wrapper, also exporting PyInit__core). A controller made over such a library must be
    one threadpoolctl drops (none of check_symbols on its handle), whatever the file's tag (abi3 or
    cpython-3XX) makes of the name."""
    threadpoolctl = import_threadpoolctl()
    highs = pytest.importorskip("scipy.optimize._highspy._core",
                                reason="needs scipy's HiGHS extension, which scikit-learn's scipy has")
    from sgdswift._threadpoolctl import SgdswiftController

    def kept(filepath):
        controller = SgdswiftController(filepath=filepath, prefix=SgdswiftController.filename_prefixes[0],
                                        parent=None)
        return any(hasattr(controller.dynlib, symbol) for symbol in SgdswiftController.check_symbols)

    assert not kept(highs.__file__)
    assert kept(_core.__file__)
    [pool] = sgdswift_pools()
    assert os.path.samefile(pool["filepath"], _core.__file__)
    assert len([pool for pool in threadpoolctl.threadpool_info() if pool["internal_api"] == "sgdswift"]) == 1


def test_threadpool_limits_sets_the_pool_for_the_block_only(threads_restored):
    threadpoolctl = import_threadpoolctl()
    sg.set_num_threads(3)
    with threadpoolctl.threadpool_limits(1):
        assert sg.get_num_threads() == 1
    assert sg.get_num_threads() == 3
    with threadpoolctl.threadpool_limits(2, user_api="sgdswift"):
        assert sg.get_num_threads() == 2
    for other_api in ("blas", "openmp"):  # limits for BLAS or OpenMP runtimes are not for sgdswift's pool
        with threadpoolctl.threadpool_limits(1, user_api=other_api):
            assert sg.get_num_threads() == 3
    with threadpoolctl.threadpool_limits(10**6):  # clamped to what the pool takes, not refused
        assert sg.get_num_threads() == _core.max_threads()
    assert sg.get_num_threads() == 3


def test_sgdswift_imports_without_threadpoolctl():
    code = ("import sys\n"
            "sys.modules['threadpoolctl'] = None  # as if it were not installed\n"
            "import sgdswift as sg\n"
            "sg.set_num_threads(2)\n"
            "print(sg.get_num_threads())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == ["2"], result.stderr


def test_grid_search_workers_run_on_their_share_of_the_cores_with_the_same_results(monkeypatch):
    """joblib starts its worker processes with OMP_NUM_THREADS set to the cores per worker; sgdswift
    takes that count at import. Results do not depend on the thread count, so the search's scores are
    those of a sequential run."""
    pytest.importorskip("sklearn")
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV

    class ThreadRecordingClassifier(sg.MLPClassifier):
        def fit(self, X, y):
            self.fit_threads_ = sg.get_num_threads()
            return super().fit(X, y)

    def fit_threads(estimator, X, y):
        return estimator.fit_threads_

    for variable in ("SGDSWIFT_NUM_THREADS", "OMP_NUM_THREADS"):  # joblib's default share, then
        monkeypatch.delenv(variable, raising=False)
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]}
    estimator = ThreadRecordingClassifier(learning_rate_init=0.01, max_iter=15, random_state=0)

    def search(n_jobs):
        with warnings.catch_warnings(), joblib.parallel_config(backend="loky"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            return GridSearchCV(estimator, grid, cv=3, n_jobs=n_jobs, refit="accuracy",
                                scoring={"accuracy": "accuracy", "threads": fit_threads}).fit(X, y)

    parallel, sequential = search(2), search(1)
    worker_share = max(joblib.cpu_count() // 2, 1)
    assert set(parallel.cv_results_["mean_test_threads"]) == {worker_share}
    assert set(sequential.cv_results_["mean_test_threads"]) == {sg.get_num_threads()}
    assert parallel.best_params_ == sequential.best_params_
    assert parallel.best_score_ == sequential.best_score_
    for split in range(3):
        key = f"split{split}_test_accuracy"
        np.testing.assert_array_equal(parallel.cv_results_[key], sequential.cv_results_[key])


# ---- progress bar ----------------------------------------------------------------------------------

class EveryBatch(sg.Callback):
    """Makes the core report each mini-batch, so that the bar is drawn during every epoch."""

    def on_batch_end(self, batch, logs):
        return None


def fit_with_progress(epochs=3):
    rng = np.random.default_rng(0)
    X, y = rng.random((240, 4)), rng.integers(0, 3, 240)
    net = sg.Network([4, 8, 3], hidden="relu", output="softmax", loss="cross_entropy", seed=0)
    return net.fit(X[:160], y[:160], epochs=epochs, batch_size=8, lr=0.1, validation_data=(X[160:], y[160:]),
                   callbacks=[EveryBatch()], verbose=1)


def epoch_summary(lines, epoch, epochs):
    """The figures printed for an epoch: its line and the indented lines that continue it, joined."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Epoch {epoch + 1}/{epochs}: loss"))
    summary = [lines[start].rstrip()]  # the plain bar pads the line over the bar it replaces
    for line in lines[start + 1:]:
        if not line.startswith(" ") or not line.strip():
            break
        summary.append(line.strip())
    return " ".join(summary)[len(f"Epoch {epoch + 1}/{epochs}: "):]


@pytest.mark.parametrize("columns", [80, 50])
@pytest.mark.parametrize("bar", ["tqdm", "plain"])
def test_progress_lines_fit_the_terminal_and_show_every_figure_whole(bar, columns, monkeypatch, capsys):
    if bar == "tqdm":
        pytest.importorskip("tqdm")
    else:  # as if tqdm were not installed
        for module in ("tqdm.std", "tqdm.auto"):
            monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setenv("COLUMNS", str(columns))
    history = fit_with_progress().history
    lines = re.split(r"[\r\n]", capsys.readouterr().out)
    assert max(len(line) for line in lines) <= columns
    drawn = "%|" if bar == "tqdm" else " ["
    assert any(line.startswith("Epoch 1/3") and drawn in line for line in lines)  # the bar itself was drawn
    for epoch in range(3):
        expected = [f"loss {history['loss'][epoch]:.4f}", f"accuracy {history['accuracy'][epoch]:.4f}",
                    f"val_loss {history['val_loss'][epoch]:.4f}",
                    f"val_accuracy {history['val_accuracy'][epoch]:.4f}", f"lr {history['lr'][epoch]:.3g}",
                    f"{history['time'][epoch]:.2f} s"]
        assert epoch_summary(lines, epoch, 3).split(", ") == expected


def test_no_warning_in_a_jupyter_kernel_without_ipywidgets(tmp_path, monkeypatch):
    """tqdm.auto, in a kernel without ipywidgets, warns in red ("IProgress not found") on the first
    fit; sgdswift takes tqdm's text bar there directly."""
    pytest.importorskip("tqdm")
    nbformat = pytest.importorskip("nbformat", reason="running a kernel needs nbformat (pip install nbformat)")
    nbclient = pytest.importorskip("nbclient", reason="running a kernel needs nbclient (pip install nbclient)")
    pytest.importorskip("ipykernel", reason="running a kernel needs ipykernel (pip install ipykernel)")
    from test_notebook import install_kernel_spec, kernel_environment

    code = textwrap.dedent("""
        import sys
        import warnings

        sys.modules["ipywidgets"] = None  # as if it were not installed
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            import numpy as np
            import sgdswift as sg

            rng = np.random.default_rng(0)
            X, y = rng.random((64, 4)), rng.integers(0, 2, 64)
            sg.Network([4, 2], output="softmax", loss="cross_entropy", seed=0).fit(X, y, epochs=2, verbose=1)
        print("warnings:", [f"{w.category.__name__}: {w.message}" for w in caught])
    """)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    client = nbclient.NotebookClient(notebook, kernel_name=install_kernel_spec(tmp_path / "jupyter"), timeout=120,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=kernel_environment())
    outputs = notebook.cells[0].outputs
    assert [output.get("name") for output in outputs if output.output_type == "stream"] == ["stdout"] * len(outputs)
    text = "".join(output.text for output in outputs)
    assert "warnings: []" in text
    assert "Epoch 1/2: loss" in text and "Epoch 2/2: loss" in text


# ---- types -----------------------------------------------------------------------------------------

ESTIMATOR_SCRIPT = textwrap.dedent("""
    from typing import Any

    import numpy as np
    import sklearn  # type: ignore[import-untyped]

    import sgdswift as sg

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 3)), rng.integers(0, 2, 40)
    classifier = sg.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    parameters: dict[str, Any] = classifier.get_params()
    classifier = classifier.set_params(alpha=1e-3)
    fitted: sg.MLPClassifier = classifier.fit(X, y).partial_fit(X, y)
    features: int = fitted.n_features_in_
    accuracy: float = fitted.score(X, y)
    probabilities: np.ndarray = fitted.predict_proba(X)
    with sklearn.config_context(enable_metadata_routing=True):
        routed: sg.MLPClassifier = fitted.set_score_request(sample_weight=True).set_partial_fit_request(classes=True)
        routing: Any = routed.get_metadata_routing()
    regressor: sg.MLPRegressor = sg.MLPRegressor(max_iter=3).fit(X, X[:, 0])
    r2: float = regressor.score(X, X[:, 0])
    with sklearn.config_context(enable_metadata_routing=True):
        regressor = regressor.set_score_request(sample_weight=False)
    print("ran")
""")

WRONG_ESTIMATOR_SCRIPT = textwrap.dedent("""
    import numpy as np

    import sgdswift as sg

    X, y = np.zeros((4, 2)), np.zeros(4)
    classifier = sg.MLPClassifier(hidden_layers=(4,))
    classifier.fit(X, y).predict_probabilities(X)
    sg.MLPRegressor().fit(X, y).coefs[0]
""")


def mypy(script, tmp_path, tmp_path_factory):
    pytest.importorskip("mypy", reason="the type checks need mypy, which is not installed (pip install mypy)")
    (tmp_path / "script.py").write_text(script)
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"  # shared by this session's runs
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "script.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)


def test_the_estimators_are_typed_for_what_they_inherit_and_it_runs(tmp_path, tmp_path_factory):
    pytest.importorskip("sklearn")
    result = mypy(ESTIMATOR_SCRIPT, tmp_path, tmp_path_factory)
    assert result.returncode == 0, result.stdout + result.stderr
    ran = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout.strip() == "ran", ran.stderr  # what mypy was told exists does


def test_a_misspelt_estimator_keyword_method_or_attribute_is_reported(tmp_path, tmp_path_factory):
    result = mypy(WRONG_ESTIMATOR_SCRIPT, tmp_path, tmp_path_factory)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "hidden_layers" for "MLPClassifier"' in result.stdout
    assert '"MLPClassifier" has no attribute "predict_probabilities"' in result.stdout
    assert '"MLPRegressor" has no attribute "coefs"' in result.stdout


# ---- metadata --------------------------------------------------------------------------------------

def metadata():
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(pathlib.Path(__file__).resolve().parents[2] / "setup.cfg")
    return setup_cfg


def test_every_classifier_is_one_pypi_accepts():
    """PyPI refuses an upload with a classifier that is not in its list (there is none for Swift)."""
    trove = pytest.importorskip("trove_classifiers", reason="needs trove-classifiers (pip install trove-classifiers)")
    classifiers = metadata()["metadata"]["classifiers"].split("\n")
    unknown = [name for name in classifiers if name and name not in trove.classifiers]
    assert not unknown and not set(classifiers) & trove.deprecated_classifiers.keys()


def test_the_python_version_classifiers_start_at_python_requires():
    setup_cfg = metadata()
    versions = re.findall(r"Programming Language :: Python :: 3\.(\d+)$", setup_cfg["metadata"]["classifiers"], re.M)
    assert setup_cfg["options"]["python_requires"] == f">=3.{min(map(int, versions))}"
