"""Train a softmax-regression classifier with mini-batch gradient descent (numpy only).

Prints one metrics line per epoch ({"epoch", "loss", "accuracy"}) so a live plot can follow it,
and writes model.npz (weights) and model.json (a summary) to the outputs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from pipeline_io import input_files, log_metrics, outputs_dir, parse_parameters, read_table, save_arrays


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def loss_and_accuracy(w: np.ndarray, b: np.ndarray, x: np.ndarray, onehot: np.ndarray) -> tuple[float, float]:
    p = softmax(x @ w + b)
    loss = float(-np.mean(np.sum(onehot * np.log(p + 1e-12), axis=1)))
    accuracy = float(np.mean(p.argmax(axis=1) == onehot.argmax(axis=1)))
    return loss, accuracy


class Optimizer:
    """sgd, momentum or adam updates for a list of parameter arrays (in place)."""

    def __init__(self, kind: str, learning_rate: float, shapes: list[tuple[int, ...]]) -> None:
        self.kind, self.lr, self.t = kind, learning_rate, 0
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self.kind == "sgd":
                p -= self.lr * g
            elif self.kind == "momentum":
                self.m[i] = 0.9 * self.m[i] + g
                p -= self.lr * self.m[i]
            else:  # adam
                self.m[i] = 0.9 * self.m[i] + 0.1 * g
                self.v[i] = 0.999 * self.v[i] + 0.001 * g * g
                m_hat = self.m[i] / (1 - 0.9**self.t)
                v_hat = self.v[i] / (1 - 0.999**self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--learning_rate", type=float, default=0.05)
    parser.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default="adam")
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epoch_delay", type=float, default=0.15)
    args = parse_parameters(parser)
    if args.epochs < 1 or args.batch_size < 1 or args.learning_rate <= 0:
        parser.error("epochs and batch_size must be >= 1 and learning_rate > 0")

    features, x, labels = read_table(input_files("dataset", "*.csv"))
    classes = sorted(set(labels.tolist()))
    onehot = np.eye(len(classes))[[classes.index(c) for c in labels]]
    rng = np.random.default_rng(args.seed)
    w = rng.normal(0.0, 0.01, size=(x.shape[1], len(classes)))
    b = np.zeros(len(classes))
    opt = Optimizer(args.optimizer, args.learning_rate, [w.shape, b.shape])

    loss, accuracy = loss_and_accuracy(w, b, x, onehot)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x)) if args.shuffle else np.arange(len(x))
        for start in range(0, len(x), args.batch_size):
            batch = order[start : start + args.batch_size]
            err = (softmax(x[batch] @ w + b) - onehot[batch]) / len(batch)
            opt.step([w, b], [x[batch].T @ err, err.sum(axis=0)])
        loss, accuracy = loss_and_accuracy(w, b, x, onehot)
        log_metrics(epoch=epoch, loss=round(loss, 6), accuracy=round(accuracy, 6))
        time.sleep(args.epoch_delay)  # slow enough for a live plot to draw each point

    out = outputs_dir()
    save_arrays(out / "model.npz", weights=w, bias=b, classes=np.array(classes), features=np.array(features))
    summary = {"classes": classes, "features": features, "epochs": args.epochs, "optimizer": args.optimizer,
               "learning_rate": args.learning_rate, "loss": loss, "accuracy": accuracy}  # fmt: skip
    (out / "model.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
