"""sgdswift among the tools around it: threadpoolctl lists and limits its thread pool, and GridSearchCV's
worker processes run it on their share of the cores with the same results."""
import os
import subprocess
import sys
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


def test_another_extension_with_the_same_file_name_is_not_taken_for_sgdswift():
    import_threadpoolctl()
    highs = pytest.importorskip("scipy.optimize._highspy._core",
                                reason="needs scipy's HiGHS extension, which scikit-learn's scipy has")
    assert os.path.basename(highs.__file__) == os.path.basename(_core.__file__)  # the same name, loaded
    [pool] = sgdswift_pools()
    assert os.path.samefile(pool["filepath"], _core.__file__)


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
