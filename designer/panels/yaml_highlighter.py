"""A small YAML syntax highlighter for the YAML dock (keys, strings, numbers, comments)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.DemiBold)
    f.setFontItalic(italic)
    return f


_LIGHT = {
    "key": _fmt("#0550ae"),
    "string": _fmt("#0a3069"),
    "number": _fmt("#953800"),
    "comment": _fmt("#6e7781", italic=True),
    "keyword": _fmt("#cf222e"),
    "dash": _fmt("#8250df", bold=True),
}
_DARK = {
    "key": _fmt("#79c0ff"),
    "string": _fmt("#a5d6ff"),
    "number": _fmt("#ffa657"),
    "comment": _fmt("#8b949e", italic=True),
    "keyword": _fmt("#ff7b72"),
    "dash": _fmt("#d2a8ff", bold=True),
}
_RULES = [
    ("dash", re.compile(r"^\s*(-)(?=\s|$)")),
    ("key", re.compile(r"^\s*(?:-\s+)?([^\s#'\"][^:#]*?|\"[^\"]*\"|'[^']*')\s*(?=:(\s|$))")),
    ("number", re.compile(r"(?<=[:\-\[,]\s)(-?\d+(\.\d+)?([eE][-+]?\d+)?)\s*$")),
    ("keyword", re.compile(r"(?<=:\s)(true|false|null|yes|no|~)\s*$")),
    ("string", re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")),
]
_COMMENT = re.compile(r"(^|\s)#.*$")


class YamlHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self._formats = _DARK if dark else _LIGHT

    def set_dark(self, dark: bool) -> None:
        self._formats = _DARK if dark else _LIGHT
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for kind, rx in _RULES:
            for m in rx.finditer(text):
                group = 1 if rx.groups else 0
                self.setFormat(m.start(group), m.end(group) - m.start(group), self._formats[kind])
        m = _COMMENT.search(text)
        if m and text.count('"', 0, m.start()) % 2 == 0 and text.count("'", 0, m.start()) % 2 == 0:
            self.setFormat(m.start(), len(text) - m.start(), self._formats["comment"])
