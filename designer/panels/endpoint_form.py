"""The inspector's deployment sections: a deployment node (its deployment, aliases and which
endpoints it deploys) and the endpoints themselves (top-level ``- endpoint:`` items: image,
server command or WSGI app, port, files). Endpoint files are the node's input ports
``file.<endpoint>.<file>``, fed by edges from upstream outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QPushButton, QWidget

from designer.document.model_api import endpoint_edits, query
from designer.panels.form_fields import LineField
from designer.panels.section import CheckList, Section
from designer.panels.spec_table import Column, SpecTable
from designer.panels.value_parsing import format_value, parse_list

if TYPE_CHECKING:
    from designer.editor import PipelineEditor

SERVE = {"server-command": "Server command", "wsgi": "WSGI application"}
FILE_COLUMNS = [
    Column("name", "File", width=90),
    Column("path", "Path", parse=lambda t, _r: t.strip() or None, width=140),
    Column("description", "Description", width=120),
]


def _parse_endpoint_name(text: str) -> str:
    name = text.strip()
    if not endpoint_edits.NAME_PATTERN.match(name):
        raise ValueError("Lowercase: a letter, then letters, digits or dashes (e.g. predict-v2).")
    return name


def _parse_port(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1025 <= int(text) <= 65535:
        raise ValueError("A port is a number from 1025 to 65535.")
    return int(text)


def _required(what: str) -> Any:
    def parse(text: str) -> str:
        if not text.strip():
            raise ValueError(f"{what} cannot be empty.")
        return text.strip()

    return parse


class DeploymentForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Deployment", editor, parent)
        self.pipeline: str | None = None
        self.node: str | None = None
        self.current: list[str] = []
        self.deployment = LineField(_required("The deployment name"), self)
        self.aliases = LineField(parse_list, self)
        self.aliases.setPlaceholderText("e.g. staging, latest")
        self.endpoints = CheckList(self, max_rows=5)
        self.new_endpoint = QPushButton("New endpoint", self)
        form = QFormLayout()
        form.addRow("Deployment", self.deployment)
        form.addRow("Aliases", self.aliases)
        form.addRow("Endpoints", self.endpoints)
        form.addRow("", self.new_endpoint)
        self.layout_.addLayout(form)
        self.finish()
        self.watch(self.deployment, self.aliases)
        self.deployment.committed.connect(lambda v: self._set("deployment", v))
        self.aliases.committed.connect(lambda v: self._set("aliases", v))
        self.endpoints.checked_changed.connect(lambda names: self._set("endpoints", names))
        self.new_endpoint.clicked.connect(self._new_endpoint)

    def set_node(self, pipeline: str, node: str) -> None:
        self.pipeline, self.node = pipeline, node
        body = self.editor.doc.node_body(pipeline, node) or {}
        self.deployment.set_value(str(body.get("deployment") or ""))
        self.aliases.set_value(format_value(body.get("aliases")))
        view = self.editor.doc.node_view(pipeline, node)
        self.current = list(view.endpoints) if view is not None else []
        config = self.editor.doc.config
        names = list(config.endpoints) if config is not None else []
        self.endpoints.set_items(names, self.current)

    def _set(self, key: str, value: Any) -> str | None:
        if not (self.pipeline and self.node):
            return None
        return self.push(
            f"Set {key} of “{self.node}”",
            endpoint_edits.set_deployment_node_field,
            self.pipeline,
            self.node,
            key,
            value,
            key=("deployment-node", self.node, key) if key != "endpoints" else None,
        )

    def _new_endpoint(self) -> None:
        """One undo step: the endpoint, then this node deploys it."""
        config = self.editor.doc.config
        taken = list(config.endpoints) if config is not None else []
        name = next(n for n in ("predict", *(f"predict-{i}" for i in range(2, 999))) if n not in taken)
        image = (
            next((s.image for s in config.steps.values() if s.image), None) if config is not None else None
        )
        stack = self.editor.stack
        stack.beginMacro(f"New endpoint “{name}”")
        try:
            error = self.push("Add endpoint", endpoint_edits.add_endpoint, name, image or "python:3.12")
            if error is None:
                self._set("endpoints", [*self.current, name])
        finally:
            stack.endMacro()


class EndpointForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Endpoint", editor, parent)
        self.endpoint: str | None = None
        self.body: dict[str, Any] = {}
        self.which = QComboBox(self)
        self.name = LineField(_parse_endpoint_name, self)
        self.image = LineField(_required("An endpoint's image"), self)
        self.serve = QComboBox(self)
        self.serve.addItems(list(SERVE.values()))
        self.command = LineField(_required("The server command or WSGI application"), self)
        self.port = LineField(_parse_port, self)
        self.port.setPlaceholderText("8000")
        self.description = LineField(parent=self)
        self.files = SpecTable("file", FILE_COLUMNS, self)
        form = QFormLayout()
        form.addRow("Edit", self.which)
        form.addRow("Name", self.name)
        form.addRow("Image", self.image)
        form.addRow("Serve with", self.serve)
        form.addRow("", self.command)
        form.addRow("Port", self.port)
        form.addRow("Description", self.description)
        self.layout_.addLayout(form)
        self.layout_.addWidget(self.heading("Files"))
        self.layout_.addWidget(
            self.hint("Each file is an input port of the deployment node: wire an output to it.")
        )
        self.layout_.addWidget(self.files)
        self.finish()
        self.watch(self.name, self.image, self.command, self.port)
        self.which.activated.connect(lambda _i: self.set_endpoint(self.which.currentText()))
        self.name.committed.connect(lambda v: self._set("name", v))
        self.image.committed.connect(lambda v: self._set("image", v))
        self.serve.activated.connect(self._serve_changed)
        self.command.committed.connect(lambda v: self._set(self._serve_key(), v))
        self.port.committed.connect(lambda v: self._set("port", v))
        self.description.committed.connect(lambda v: self._set("description", v))
        self.files.field_edited.connect(self._file_field)
        self.files.renamed.connect(lambda o, n: self._file_field(o, "name", n))
        self.files.add_requested.connect(self._add_file)
        self.files.remove_requested.connect(
            lambda n: self._push(f"Remove file “{n}”", endpoint_edits.remove_endpoint_file, n)
        )

    def set_endpoint(self, endpoint: str | None) -> None:
        config = self.editor.doc.config
        names = list(config.endpoints) if config is not None else []
        self.endpoint = endpoint if endpoint in names else None
        self.body = (self.editor.doc.item_body("endpoint", self.endpoint) or {}) if self.endpoint else {}
        self.setVisible(bool(self.body))
        if not self.body:
            return
        b = self.body
        self.setTitle(f"Endpoint — {endpoint}")
        with QSignalBlocker(self.which):
            self.which.clear()
            self.which.addItems(names)
            self.which.setCurrentText(str(endpoint))
        self.name.set_value(str(b.get("name", "")))
        self.image.set_value(str(b.get("image") or ""))
        key = "wsgi" if "wsgi" in b else "server-command"
        with QSignalBlocker(self.serve):
            self.serve.setCurrentText(SERVE[key])
        command = b.get(key)
        self.command.set_value(" ".join(command) if isinstance(command, list) else str(command or ""))
        self.command.setPlaceholderText("package.app:application" if key == "wsgi" else "python serve.py")
        self.port.set_value(str(b.get("port") or ""))
        self.description.set_value(str(b.get("description") or ""))
        self.files.set_rows(query.mappings(b.get("files")))

    def _serve_key(self) -> str:
        return list(SERVE)[self.serve.currentIndex()]

    def _push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        return self.push(label, fn, self.endpoint, *args, key=key) if self.endpoint else None

    def _set(self, key: str, value: Any) -> None:
        merge = None if key == "name" else ("endpoint", self.endpoint, key)
        if (
            self._push(
                f"Set {key} of endpoint “{self.endpoint}”",
                endpoint_edits.set_endpoint_field,
                key,
                value,
                key=merge,
            )
            is None
            and key == "name"
        ):
            self.endpoint = value

    def _serve_changed(self, _index: int) -> None:
        key = self._serve_key()
        if key not in self.body:
            text = self.command.text().strip() or ("app:app" if key == "wsgi" else "python serve.py")
            self._set(key, text)

    def _file_field(self, name: str, key: str, value: Any) -> None:
        self._push(
            f"Set {key} of file “{name}”",
            endpoint_edits.set_endpoint_file_field,
            name,
            key,
            value,
            key=None if key == "name" else ("endpoint-file", self.endpoint, name, key),
        )

    def _add_file(self) -> None:
        taken = {str(f.get("name")) for f in query.mappings(self.body.get("files"))}
        name = next(f"file-{n}" for n in range(1, 999) if f"file-{n}" not in taken)
        self._push(f"Add file “{name}”", endpoint_edits.add_endpoint_file, name, f"{name}.bin")
