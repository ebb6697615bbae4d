"""Random sequences of designer edits, with undo, on random corpus and pattern files.

One document is edited step by step, as in the designer: it keeps its view, its syntax
trees and their cache from edit to edit and across undo (``restore`` of an earlier text).
After every step its text must re-parse to exactly what the same edits make of plain data
(:class:`~tests.support.edit_oracle.PlainDoc`), the view it keeps must be that data too,
and a document opened fresh on the previous text must write the same text for the same
edit (the kept trees never drift from the text). In a file with aliases the plain data is
taken from the text again after each edit (an edit inside an anchor changes its aliases
too, which plain data can only mean while its objects are shared). An edit refused by the plain data is
refused by the document, leaving its text as it was; the document alone may refuse only
inside a repeated key's mapping or an anchor's aliases, as the edit matrix allows.

The edits are those of the matrix (:mod:`tests.support.edit_matrix`), chosen again from the
current data at each step, so later edits act on what earlier ones made. A few dozen
examples run by default (a few seconds); ``EDIT_SEQUENCES=long`` runs a thousand longer
sequences.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runner.config import load_text
from runner.config.document import YamlDocument
from runner.config.errors import EditError
from tests.support.edit_matrix import Case, cases, editable_files
from tests.support.edit_oracle import PlainDoc, same

LONG = os.environ.get("EDIT_SEQUENCES") == "long"
FILES = editable_files()
STEPS = 12 if LONG else 5
UNDO = "undo"


def _outcome(doc: Any, case: Case) -> EditError | None:
    try:
        case.call(doc)
    except EditError as exc:
        return exc
    return None


def _document_alone_may_refuse(doc: YamlDocument, error: EditError) -> bool:
    """What the matrix allows too: a repeated key blocks its mapping, and a value merged into
    others (``<<: *anchor``) cannot change for one of them alone."""
    message = str(error)
    return "appears twice" in message or (doc.loaded.has_aliases and "cannot be written" in message)


@settings(
    max_examples=1000 if LONG else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(range(len(FILES))), st.data())
def test_edit_sequences_mean_what_the_same_edits_make_of_plain_data(index: int, data: st.DataObject) -> None:
    name, text, path = FILES[index]
    doc = YamlDocument.from_text(text, path)
    oracle = PlainDoc(doc.loaded.data, path)
    history: list[tuple[str, Any]] = []  # (text, plain data) before each edit that changed something
    for _step in range(data.draw(st.integers(1, STEPS), label="steps")):
        choices = cases(oracle.loaded.data)
        case = data.draw(st.sampled_from([*choices, UNDO] if history else choices), label="edit")
        if case == UNDO:
            before, expected = history.pop()
            doc.restore(before)
            oracle = PlainDoc(expected, path)
            assert same(doc.loaded.data, expected)
            continue
        event(case.function)
        before = doc.text
        fresh = YamlDocument.from_text(before, path)
        expected_error = _outcome(oracle, case)
        error = _outcome(doc, case)
        if error is not None:
            assert doc.text == before, f"{name}: {case.name} was refused ({error}) but changed the text"
            assert expected_error is not None or _document_alone_may_refuse(doc, error), (
                f"{name}: {case.name} refused by the document only: {error}"
            )
            oracle = PlainDoc(doc.loaded.data, path)  # the plain data does not go where the file cannot
            continue
        assert expected_error is None, f"{name}: {case.name} refused only by plain data ({expected_error})"
        assert same(load_text(doc.text).data, oracle.loaded.data), (
            f"{name}: after {case.name} the text does not re-parse to what the edits make of plain data"
        )
        assert same(doc.loaded.data, oracle.loaded.data), f"{name}: after {case.name} the kept view drifted"
        assert _outcome(fresh, case) is None and fresh.text == doc.text, (
            f"{name}: {case.name} wrote other text from the kept trees than from a fresh parse"
        )
        if doc.text != before:
            history.append((before, load_text(before).data))
        if doc.loaded.has_aliases:
            # An alias is the very object of its anchor in PyYAML's data (an edit inside the
            # anchor changes it everywhere); plain data made by an edit has lost that sharing.
            oracle = PlainDoc(load_text(doc.text).data, path)
