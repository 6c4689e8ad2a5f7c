# %% [markdown]
# # Seeing gradient descent work
#
# Two experiments from the subject, cell by cell (`# %%` cells run in VS Code / Jupyter, or run the
# whole file with `python examples/gradient_descent_tour.py`). Pictures are written when matplotlib
# is installed; the numbers are printed either way.
#
# 1. A cost surface of two variables, C(v₁, v₂), minimised from the same start by plain gradient
#    descent Δv = −η∇C, by momentum and by Adam — the optimizers work on any NumPy arrays.
# 2. Vanishing gradients: per-layer gradient norms of a deep sigmoid network versus a ReLU one on MNIST.

# %%
import sys

import numpy as np

import sgdswift as sg

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter
except ImportError:
    plt = None

# %% [markdown]
# ## 1. A valley: C(v) = (v₁² + 100 v₂²)/2
# A long narrow valley: the gradient points mostly across it, so plain gradient descent zig-zags
# (η must stay below 2/100 = 0.02 along v₂, which makes it crawl along v₁) while momentum builds up
# speed along the valley floor and Adam rescales each coordinate.


# %%
def cost(v):
    return 0.5 * (v[0] ** 2 + 100 * v[1] ** 2)


def gradient(v):
    return np.array([v[0], 100 * v[1]])


def descend(optimizer, start=(-4.0, 1.0), steps=100):
    v = np.array(start)
    path = [v.copy()]
    for _ in range(steps):
        optimizer.step([v], [gradient(v)])  # v is updated in place
        path.append(v.copy())
    return np.array(path)


optimizers = {
    "gradient descent η=0.019": sg.SGD(lr=0.019),
    "momentum μ=0.8, η=0.01": sg.SGD(lr=0.01, momentum=0.8),
    "Adam η=0.3": sg.Adam(lr=0.3),
}
paths = {name: descend(optimizer) for name, optimizer in optimizers.items()}
for name, path in paths.items():
    below = np.flatnonzero([cost(v) < 1e-3 for v in path])
    reached = f"C < 1e-3 after {below[0]} steps" if below.size else "C ≥ 1e-3 after 100 steps"
    print(f"{name:26s} C = {cost(path[-1]):.2e} after 100 steps; {reached}")

if plt is not None:
    v1, v2 = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-1.5, 1.5, 200))
    figure, axes = plt.subplots(figsize=(8, 4.4), layout="constrained")
    axes.contour(v1, v2, cost((v1, v2)), levels=np.geomspace(0.01, 60, 14), cmap="Greys")
    for name, path in paths.items():
        axes.plot(path[:, 0], path[:, 1], ".-", label=name, markersize=3)
    axes.plot(0, 0, "k*", markersize=10, label="minimum")
    axes.set(xlabel="v₁", ylabel="v₂", title="C(v) = (v₁² + 100 v₂²)/2, 100 steps from (−4, 1): momentum and Adam\n"
             "reach the minimum, plain gradient descent still crawls along the valley")
    figure.legend(loc="outside lower center", ncols=4)  # below the axes, where it hides no path
    figure.savefig("surface.png", dpi=120, bbox_inches="tight")
    print("wrote surface.png")

# %% [markdown]
# ## 2. Vanishing gradients: sigmoid versus ReLU
# Backpropagation multiplies δ by σ'(z) at every layer; σ' ≤ 1/4 for the sigmoid, so the early
# layers of a deep sigmoid network learn much more slowly. `History` records ‖∂C/∂(W_l, b_l)‖ per layer.

# %%
try:
    from sgdswift.datasets import load_mnist

    (X, y), _ = load_mnist()
except FileNotFoundError as error:
    print(error)
    sys.exit(0)

norms = {}
for hidden in ("sigmoid", "relu"):
    net = sg.Network([784, 30, 30, 30, 10], hidden=hidden, output="softmax", loss="cross_entropy", seed=0)
    history = net.fit(X[:20000], y[:20000], epochs=2, batch_size=10, lr=0.1, verbose=0)
    norms[hidden] = np.array(history.history["grad_norm"])
    first = norms[hidden][0]
    print(f"{hidden:8s} layer gradient norms, epoch 1: " + "  ".join(f"{value:.4f}" for value in first)
          + f"   (first/last layer: {first[0] / first[-1]:.2f})")

if plt is not None:
    colours = {"sigmoid": "tab:purple", "relu": "tab:green"}  # as in gradient_descent.ipynb
    names = {"sigmoid": "sigmoid network", "relu": "ReLU network"}
    figure, axes = plt.subplots(figsize=(6.5, 4.4), layout="constrained")
    layers = np.arange(1, 5)
    for hidden, values in norms.items():
        axes.plot(layers, values[0], "o-", color=colours[hidden], label=names[hidden])
    axes.set(xticks=layers, xlabel="layer (1 = next to the input)", ylabel="mean ‖∂C/∂(W, b)‖ in epoch 1, log scale",
             yscale="log", title="784-30-30-30-10 on MNIST: the sigmoid network's\nfirst layers get the smallest gradients")
    # Label the decades only (10⁻¹, 10⁰), and reach down to the one below the data so that two are in view.
    axes.yaxis.set_minor_formatter(NullFormatter())
    lowest = min(values[0].min() for values in norms.values())
    axes.set_ylim(bottom=10 ** np.floor(np.log10(lowest)))
    figure.legend(loc="outside lower center", ncols=2)
    figure.savefig("gradient_norms.png", dpi=120, bbox_inches="tight")
    print("wrote gradient_norms.png")
