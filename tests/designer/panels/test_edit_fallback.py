"""An edit that cannot be written as a patch of the text says so in the status bar.

Nearly every edit changes only its own spans of the text. Where that is impossible (here: a
step that takes its keys from another through ``<<: *base``, whose merged keys are not in its
own text), the YAML writer rewrites the lines around the edit in its own layout; the user is
told why, with the same data kept, instead of finding reformatted lines later in a diff.
"""

from __future__ import annotations

import pytest
import yaml

from tests.support.edit_patterns import MERGED
from tests.support.inspector import open_text, type_into

pytestmark = pytest.mark.gui


def _image(w, step: str) -> str:
    return next(
        i["step"]["image"] for i in yaml.safe_load(w.document.text) if i.get("step", {}).get("name") == step
    )


def test_an_edit_that_falls_back_to_the_yaml_writer_says_why_in_the_status_bar(
    window, qtbot, tmp_path
) -> None:
    w = open_text(window, tmp_path, MERGED)
    bar = w.statusBar()

    w.scene.select_node("evaluate")  # runs the merged step: its image is a new key there
    type_into(qtbot, w.inspector.step_form.image, "busybox")
    assert _image(w, "evaluate") == "busybox" and _image(w, "train") == "python:3.12"
    message = bar.currentMessage()
    assert message.startswith("Changed, but not in place: the edit is inside a mapping merged with <<"), (
        message
    )
    assert "the lines around it were rewritten" in message and "YAML view" in message
    assert w.document.fallbacks

    w.document.undo()  # undo restores the text: nothing was written, nothing to say
    assert _image(w, "evaluate") == "python:3.12" and w.document.fallbacks == ()

    bar.clearMessage()
    type_into(qtbot, w.inspector.node_form.name, "check")  # patched in place: nothing to say
    assert (
        "    nodes:\n      - name: train\n        type: execution\n        step: train\n      - name: check\n"
        in (w.document.text)
    )
    assert w.document.fallbacks == () and "not in place" not in bar.currentMessage()
