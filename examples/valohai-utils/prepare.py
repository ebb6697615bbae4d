"""Split data/houses.csv into train.csv and test.csv, through valohai-utils."""

import csv
import random

import valohai

valohai.prepare(
    step="prepare",
    default_parameters={"test_fraction": 0.25, "seed": 7},
    default_inputs={"houses": "data/houses.csv"},
)

with open(valohai.inputs("houses").path(), newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
random.Random(valohai.parameters("seed").value).shuffle(body)
n_test = max(1, round(len(body) * valohai.parameters("test_fraction").value))

for name, part in (("test.csv", body[:n_test]), ("train.csv", body[n_test:])):
    with open(valohai.outputs().path(name), "w", newline="") as f:
        csv.writer(f).writerows([header, *part])

with valohai.logger() as logger:
    logger.log("train_rows", len(body) - n_test)
    logger.log("test_rows", n_test)
