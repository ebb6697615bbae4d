"""Logistic regression by gradient descent; one model per sweep execution (model-<lr>-<l2>.json)."""

import json

import numpy as np
from common import OUTPUTS, input_files, metadata, parse, predict, read_table

args = parse(learning_rate=0.3, epochs=150, l2=0.001)
_, table = read_table(input_files("train")[0])
x, y = table[:, :-1], table[:, -1]
model = {"mean": x.mean(axis=0).tolist(), "std": (x.std(axis=0) + 1e-9).tolist(), "bias": 0.0}
weights = np.zeros(x.shape[1])
for epoch in range(1, args.epochs + 1):
    model["weights"] = weights.tolist()
    p = predict(model, x)
    xs = (x - np.array(model["mean"])) / np.array(model["std"])
    weights = weights - args.learning_rate * (xs.T @ (p - y) / len(y) + args.l2 * weights)
    model["bias"] -= args.learning_rate * float(np.mean(p - y))
    if epoch % 10 == 0 or epoch == args.epochs:
        loss = -float(np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        metadata(epoch=epoch, loss=loss, accuracy=float(np.mean((p > 0.5) == y)))
model["weights"] = weights.tolist()
model["learning_rate"] = args.learning_rate
model["l2"] = args.l2
(OUTPUTS / f"model-{args.learning_rate:g}-{args.l2:g}.json").write_text(json.dumps(model))
