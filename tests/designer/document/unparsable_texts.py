"""The texts the unparsable-text tests type and open (shared with the crash child process)."""

from __future__ import annotations

from tests.support.yaml_texts import PREP_TRAIN

GOOD = "# training pipeline\n" + PREP_TRAIN

# Line 5 lost its colon: PyYAML notices only at line 6 ("could not find expected ':'").
BROKEN_LINE, BROKEN_COLUMN = 5, 5
BROKEN = GOOD.replace("    command: date\n", "    command date\n", 1)
