"""Add / edit one remote host: name, ssh:// URL (an ~/.ssh/config alias, shown resolved), identity
file, GPUs and how containers get them, max-parallel, a secret.

The password / passphrase field is only read by the Hosts dialog, which hands it to the keyring
(``runner.hosts.service.store_secret``) and clears it; it never reaches the registry or settings.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from runner.api import HostConfig, HostConfigError
from runner.api import hosts as service


class HostForm(QDialog):
    """Add or edit one host; builds a validated ``HostConfig`` (errors shown, the form stays open)."""

    def __init__(self, host: HostConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit host" if host else "Add host")
        self.config: HostConfig | None = None
        self.name = QLineEdit(self)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("ssh://alias (of ~/.ssh/config) or ssh://user@host[:port]")
        # How the URL resolves through the ssh config (no network): HostName, User, Port, jumps.
        self.route = QLabel(self)
        self.route.setWordWrap(True)
        self.route.setStyleSheet("color: palette(placeholder-text)")
        self.identity = QLineEdit(self)
        self.identity.setPlaceholderText("private key file (optional)")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.gpus = QSpinBox(self)
        self.gpus.setRange(0, 64)
        self.gpu_access = QComboBox(self)
        self.gpu_access.addItem("Device request (docker run --gpus)", service.GPU_ACCESS[0])
        self.gpu_access.addItem(
            "NVIDIA_VISIBLE_DEVICES (engine's default runtime is nvidia)", service.GPU_ACCESS[1]
        )
        self.max_parallel = QSpinBox(self)
        self.max_parallel.setRange(1, 256)
        self.max_parallel.setValue(4)
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(
            "kept in the system keyring only" + (" (empty: unchanged)" if host else "")
        )
        if host is not None:
            self.name.setText(host.name)
            self.name.setReadOnly(True)  # the keyring entries are keyed by the name
            self.url.setText(host.url)
            self.identity.setText(host.identity or "")
            self.gpus.setValue(host.gpus)
            self.gpu_access.setCurrentIndex(max(self.gpu_access.findData(host.gpu_access), 0))
            self.max_parallel.setValue(host.max_parallel)
        self.environments = host.environments if host else ()
        identity_row = QHBoxLayout()
        identity_row.addWidget(self.identity)
        identity_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("URL", self.url)
        form.addRow("", self.route)
        form.addRow("Identity file", identity_row)
        form.addRow("GPUs", self.gpus)
        form.addRow("GPU access", self.gpu_access)
        form.addRow("Max parallel", self.max_parallel)
        form.addRow("Password / passphrase", self.secret)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.url.textChanged.connect(self._show_route)
        self.identity.textChanged.connect(self._show_route)
        self._show_route()

    def _show_route(self) -> None:
        url = self.url.text().strip()
        if not url:
            self.route.setText("")
            return
        try:
            self.route.setText("→ " + service.describe_route(url, self.identity.text().strip() or None))
        except HostConfigError as exc:
            self.route.setText(str(exc))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Private key file")
        if path:
            self.identity.setText(path)

    @property
    def secret_kind(self) -> str:
        """A passphrase unlocks the identity file; without one it is the SSH password."""
        return "passphrase" if self.identity.text().strip() else "password"

    def accept(self) -> None:
        try:
            service.describe_route(
                self.url.text().strip(), self.identity.text().strip() or None
            )  # followable
            self.config = HostConfig(
                self.name.text().strip(),
                self.url.text().strip(),
                identity=self.identity.text().strip() or None,
                gpus=self.gpus.value(),
                max_parallel=self.max_parallel.value(),
                environments=self.environments,
                gpu_access=str(self.gpu_access.currentData()),
            )
        except HostConfigError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

    def reject(self) -> None:
        self.secret.clear()  # never kept in a hidden widget
        super().reject()
