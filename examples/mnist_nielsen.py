"""Nielsen's first MNIST network, in sgdswift.

Chapter 1 of "Neural Networks and Deep Learning": a 784-30-10 network of sigmoid neurons with the
quadratic cost C = 1/2n Σ‖y − a‖², N(0, 1) initial weights and biases, trained by mini-batch stochastic
gradient descent (batch 10, η = 3.0) on the 50 000 training images for 30 epochs, printing after each
epoch how many of the 10 000 test images it classifies correctly. Nielsen reports about 95%.
"""
import argparse
import time

import sgdswift as sg
from sgdswift.datasets import load_mnist

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--seed", type=int, default=0, help="initialisation and shuffling seed")
parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
args = parser.parse_args()

started = time.perf_counter()
(X_train, y_train), _validation, (X_test, y_test) = load_mnist(split="nielsen", dtype=args.dtype)
print(f"MNIST: {len(X_train)} training and {len(X_test)} test images ({time.perf_counter() - started:.1f} s to load)")

net = sg.Network([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="quadratic", init="normal",
                 dtype=args.dtype, seed=args.seed)
print(net)


def report(epoch, logs):
    correct = round(logs["val_accuracy"] * len(X_test))
    print(f"Epoch {epoch + 1:2d}: {correct} / {len(X_test)} = {logs['val_accuracy']:.2%}  ({logs['time']:.2f} s)",
          flush=True)


history = net.fit(X_train, y_train, epochs=args.epochs, batch_size=10, lr=3.0,
                  validation_data=(X_test, y_test), verbose=0, callbacks=report)
accuracy = history.history["val_accuracy"]
best = max(range(len(accuracy)), key=accuracy.__getitem__)
seconds = sorted(history.history["time"])
print(f"best test accuracy {accuracy[best]:.2%} at epoch {best + 1}; final {accuracy[-1]:.2%}; "
      f"median {seconds[len(seconds) // 2]:.3f} s per epoch (training and test evaluation)")
