"""Fit price ~ area + rooms + age by gradient descent; metrics through valohai.logger()."""

import json

import numpy as np
import valohai

valohai.prepare(
    step="train",
    default_parameters={"epochs": 300, "learning_rate": 0.1},
    default_inputs={"train": "train.csv", "test": "test.csv"},
)


def load(name):
    table = np.loadtxt(valohai.inputs(name).path(), delimiter=",", skiprows=1, ndmin=2)
    return table[:, :-1], table[:, -1]


x_train, y_train = load("train")
x_test, y_test = load("test")
mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-9
y_mean, y_std = y_train.mean(), y_train.std() + 1e-9


def features(x):
    return np.hstack([np.ones((len(x), 1)), (x - mean) / std])


def r2(x, y, w):
    predicted = features(x) @ w * y_std + y_mean
    return 1 - float(np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2))


w = np.zeros(x_train.shape[1] + 1)
target = (y_train - y_mean) / y_std
epochs = valohai.parameters("epochs").value
for epoch in range(1, epochs + 1):
    error = features(x_train) @ w - target
    w -= valohai.parameters("learning_rate").value * features(x_train).T @ error / len(target)
    if epoch % max(1, epochs // 20) == 0 or epoch == epochs:
        with valohai.logger() as logger:
            logger.log("epoch", epoch)
            logger.log("loss", float(np.mean(error**2)))

with valohai.logger() as logger:
    logger.log("train_r2", r2(x_train, y_train, w))
    logger.log("test_r2", r2(x_test, y_test, w))

model = {"weights": w.tolist(), "mean": mean.tolist(), "std": std.tolist(), "y_mean": y_mean, "y_std": y_std}
with open(valohai.outputs().path("model.json"), "w") as f:
    json.dump(model, f)
