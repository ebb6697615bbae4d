"""Stratified train/test split of the customer table."""

import numpy as np
from common import OUTPUTS, input_files, metadata, parse, read_table, write_table

args = parse(test_fraction=0.25, seed=11)
header, table = read_table(input_files("customers")[0])
rng = np.random.default_rng(args.seed)
test_rows = []
for label in (0, 1):
    rows = np.flatnonzero(table[:, -1] == label)
    rng.shuffle(rows)
    test_rows.extend(rows[: round(len(rows) * args.test_fraction)])
is_test = np.zeros(len(table), dtype=bool)
is_test[test_rows] = True
write_table(OUTPUTS / "train.csv", header, table[~is_test])
write_table(OUTPUTS / "test.csv", header, table[is_test])
metadata(
    train_rows=int((~is_test).sum()), test_rows=int(is_test.sum()), churn_rate=float(table[:, -1].mean())
)
