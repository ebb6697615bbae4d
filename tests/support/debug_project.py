"""The step script the debugger tests stop in: a loop whose line 4 runs with ``i == 0`` first,
a metric line and an output file at its end (so "then the node succeeds with its outputs")."""

TRAIN = """\
import json
total = 0
for i in range(3):
    total += i * 10
print(json.dumps({"total": total}))
open("/valohai/outputs/total.txt", "w").write(str(total))
"""
LOOP_LINE = 4  # `total += i * 10`
SCRIPT = "/valohai/repository/train.py"  # where it is in the container
# The step that runs TRAIN, its image to fill in (``STEP.format(image=...)``).
STEP = """
- step:
    name: train
    image: {image}
    command: python3 train.py
"""
