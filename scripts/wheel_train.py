"""What a new user does first with an installed wheel: import sgdswift, train a network, predict.

Run by scripts/check_wheel.sh in every place the wheel must work (a fresh venv of each CPython, a
minimal Debian chroot, an emulated CPU without AVX). It checks the result against facts independent of
sgdswift: the task is learnable to high accuracy, and the predictions equal a forward pass computed with
NumPy from the trained weights. Prints one line saying where it ran.
"""
import sys

import numpy as np

import sgdswift as sg

expected_instruction_set = sys.argv[1] if len(sys.argv) > 1 else None

# Two Gaussian blobs in 8 dimensions, 4 standard deviations apart: linearly separable in practice.
rng = np.random.default_rng(0)
labels = rng.integers(0, 2, 2000)
X = (rng.standard_normal((2000, 8)) + 2.0 * (2 * labels[:, None] - 1) / np.sqrt(8)).astype(np.float32)

net = sg.Network([8, 16, 2], hidden="relu", output="softmax", loss="cross_entropy", seed=1)
losses = net.fit(X[:1500], labels[:1500], epochs=5, batch_size=32, optimizer=sg.Adam(lr=1e-2), verbose=0).history["loss"]
accuracy = float(np.mean(net.predict(X[1500:]).argmax(axis=1) == labels[1500:]))
assert losses[-1] < losses[0], losses
assert accuracy > 0.9, accuracy

# The same outputs from NumPy alone: softmax(relu(X W1 + b1) W2 + b2).
(W1, W2), (b1, b2) = net.weights, net.biases
hidden = np.maximum(X[1500:].astype(np.float64) @ W1 + b1, 0)
logits = hidden @ W2 + b2
softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
softmax /= softmax.sum(axis=1, keepdims=True)
np.testing.assert_allclose(net.predict(X[1500:]), softmax, rtol=1e-4, atol=1e-5)

# Nothing of the build machine is used: no system BLAS, no Swift runtime library (NumPy's wheels bring
# their own OpenBLAS under numpy.libs; sgdswift's is inside its extension).
with open("/proc/self/maps") as maps:
    mapped = {line.split()[-1] for line in maps if "/" in line}
foreign = sorted(path for path in mapped if "swift" in path.rsplit("/", 1)[-1].lower() and "sgdswift" not in path
                 or "blas" in path.lower() and "site-packages" not in path)
assert not foreign, foreign

config = sg.get_config()
if expected_instruction_set is not None:
    assert config["instruction_set"] == expected_instruction_set, config
print(f"trained: Python {sys.version.split()[0]}, NumPy {np.__version__}, sgdswift from {sg.__file__}, "
      f"{config['instruction_set']} kernels, loss {losses[0]:.3f} -> {losses[-1]:.3f}, "
      f"test accuracy {accuracy:.3f}")
