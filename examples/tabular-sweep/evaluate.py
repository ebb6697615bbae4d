"""Pick the best model on the test set; approve it for release when it reaches min_accuracy.

The printed metadata `deploy` is what the pipeline's node action looks at. The approved model
is written to approved/model.json only when deploy is true, so nothing else can be released.
"""

import json

import numpy as np
from common import OUTPUTS, input_files, metadata, parse, predict, read_table

args = parse(min_accuracy=0.7)
_, table = read_table(input_files("test")[0])
x, y = table[:, :-1], table[:, -1]
scores = {}
for path in input_files("models"):
    model = json.loads(path.read_text())
    scores[path.name] = (float(np.mean((predict(model, x) > 0.5) == y)), model)
best = max(scores, key=lambda name: scores[name][0])
accuracy, model = scores[best]
deploy = accuracy >= args.min_accuracy
summary = {name: score for name, (score, _) in scores.items()}
(OUTPUTS / "evaluation.json").write_text(json.dumps({"best": best, "accuracy": summary}, indent=2))
if deploy:
    (OUTPUTS / "approved").mkdir(exist_ok=True)
    (OUTPUTS / "approved" / "model.json").write_text(json.dumps(model))
metadata(best_model=best, test_accuracy=accuracy, models=len(scores), deploy=deploy)
