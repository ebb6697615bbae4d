"""Score the trained model on the held-out test set.

Prints test_accuracy, test_loss and a confusion matrix as metadata, writes evaluation.json and
predictions.csv, and fails (exit 1) when the accuracy is below --min_accuracy: a quality gate.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

import numpy as np
from pipeline_io import input_files, log_metrics, outputs_dir, parse_parameters, read_table
from train import loss_and_accuracy, softmax


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min_accuracy", type=float, default=0.7)
    parser.add_argument("--train_accuracy", type=float, default=None)
    args = parse_parameters(parser)

    model = np.load(input_files("model", "*.npz")[0])
    classes = [str(c) for c in model["classes"]]
    features, x, labels = read_table(input_files("test", "*.csv"))
    if features != [str(f) for f in model["features"]]:
        sys.exit(f"error: the test set has features {features}, the model {list(model['features'])}")
    unknown = sorted(set(labels.tolist()) - set(classes))
    if unknown:
        sys.exit(f"error: the test set has classes the model never saw: {unknown}")
    truth = np.array([classes.index(c) for c in labels])
    loss, accuracy = loss_and_accuracy(model["weights"], model["bias"], x, np.eye(len(classes))[truth])
    predicted = softmax(x @ model["weights"] + model["bias"]).argmax(axis=1)
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)

    record: dict[str, object] = {
        "test_accuracy": round(accuracy, 6),
        "test_loss": round(loss, 6),
        "confusion_matrix": {"data": confusion.tolist(), "labels": classes},
    }
    if args.train_accuracy is not None:  # fed from train's metadata by the pipeline edge
        record["generalization_gap"] = round(args.train_accuracy - accuracy, 6)
    log_metrics(**record)

    out = outputs_dir()
    (out / "evaluation.json").write_text(json.dumps(record, indent=2) + "\n")
    with (out / "predictions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["truth", "predicted"])
        writer.writerows((classes[t], classes[p]) for t, p in zip(truth, predicted, strict=True))
    if accuracy < args.min_accuracy:
        sys.exit(f"error: test accuracy {accuracy:.3f} is below --min_accuracy {args.min_accuracy}")


if __name__ == "__main__":
    main()
