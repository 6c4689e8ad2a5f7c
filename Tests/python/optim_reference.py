"""The update rules of sgdswift's optimizers, transcribed into NumPy from their documented equations
(torch.optim's), one class per optimizer, for the tests."""
import numpy as np


class SGD:
    def __init__(self, lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        self.lr, self.mu, self.tau, self.nesterov, self.wd = lr, momentum, dampening, nesterov, weight_decay
        self.t, self.b = 0, None

    def step(self, theta, g):
        self.t += 1
        g = g + self.wd * theta
        if self.mu:
            self.b = g.copy() if self.t == 1 else self.mu * self.b + (1 - self.tau) * g
            g = g + self.mu * self.b if self.nesterov else self.b
        return theta - self.lr * g


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-10, weight_decay=0.0):
        self.lr, self.eps, self.wd = lr, eps, weight_decay
        self.s = 0.0

    def step(self, theta, g):
        g = g + self.wd * theta
        self.s = self.s + g * g
        return theta - self.lr * g / (np.sqrt(self.s) + self.eps)


class RMSProp:
    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        self.lr, self.alpha, self.eps, self.mu, self.wd = lr, alpha, eps, momentum, weight_decay
        self.v, self.b = 0.0, 0.0

    def step(self, theta, g):
        g = g + self.wd * theta
        self.v = self.alpha * self.v + (1 - self.alpha) * g * g
        scaled = g / (np.sqrt(self.v) + self.eps)
        if self.mu:
            self.b = self.mu * self.b + scaled
            return theta - self.lr * self.b
        return theta - self.lr * scaled


class Adam:
    decoupled = False

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.lr, (self.b1, self.b2), self.eps, self.wd, self.amsgrad = lr, betas, eps, weight_decay, amsgrad
        self.t, self.m, self.v, self.v_max = 0, 0.0, 0.0, 0.0

    def step(self, theta, g):
        self.t += 1
        if self.decoupled:
            theta = theta * (1 - self.lr * self.wd)
        else:
            g = g + self.wd * theta
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        second = self.v
        if self.amsgrad:
            self.v_max = np.maximum(self.v_max, self.v)
            second = self.v_max
        step_size = self.lr / (1 - self.b1 ** self.t)
        return theta - step_size * self.m / (np.sqrt(second) / np.sqrt(1 - self.b2 ** self.t) + self.eps)


class AdamW(Adam):
    decoupled = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad)
