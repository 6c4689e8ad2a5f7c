#!/usr/bin/env bash
# Trains Nielsen's 784-30-10 network on real MNIST, printing test accuracy after every epoch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
.venv/bin/python examples/mnist_nielsen.py "$@"
