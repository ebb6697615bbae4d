"""The texts the unparsable-text tests type and open (shared with the crash child process)."""

from __future__ import annotations

GOOD = """\
# training pipeline
- step:
    name: prep
    image: busybox
    command: date
- step:
    name: train
    image: busybox
    command: date
- pipeline:
    name: p
    nodes:
      - name: prep
        type: execution
        step: prep
      - name: train
        type: execution
        step: train
    edges:
      - [prep.output.*, train.input.data]
"""

# Line 9 lost its colon: PyYAML notices only at line 10 ("could not find expected ':'").
BROKEN_LINE, BROKEN_COLUMN = 9, 5
BROKEN = GOOD.replace("    command: date\n- pipeline:", "    command date\n- pipeline:")
