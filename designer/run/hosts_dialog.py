"""Hosts dialog: the remote Docker hosts of ``runner.hosts`` (list, add, edit, remove, test).

Every network call (fetching the host key, testing the host) runs on a ``QThreadPool`` worker and
comes back by a queued signal, so the window never freezes on a slow or dead host. Host keys are
never accepted silently: an unknown key is shown (type and fingerprint) and needs "Trust"; a
changed key is refused with no way to accept it here (``hosts trust NAME --replace`` after
checking it). Passwords and passphrases go only to the keyring (``store_secret``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.panels.form_fields import NamedRows, list_table, table_with_buttons
from designer.run.cluster_nodes import ClusterNodes
from designer.run.host_form import HostForm
from designer.run.host_words import plain_error, report_text, who_offered
from runner.api import (
    HostConfig,
    HostConfigError,
    HostKeyError,
    HostReport,
    SecretStoreError,
)
from runner.api import hosts as service

COLUMNS = ["Name", "URL", "GPUs", "Max parallel", "Status"]


class _Signals(QObject):
    # The call returned: (result)
    done = Signal(object)
    # The call raised: (exception)
    failed = Signal(object)


class _Task(QRunnable):
    """Runs ``fn`` on a pool thread; only emits signals (never touches widgets)."""

    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # shown to the user in plain words
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class HostsDialog(NamedRows, QDialog):
    """The host registry in a table, with Add / Edit / Remove / Test."""

    # A host test or key check ended: (host name, ok?)
    test_finished = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remote hosts")
        self.resize(760, 420)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.status: dict[str, str] = {}
        self._working = False
        self.form: HostForm | None = None
        self.key_box: QMessageBox | None = None
        self._signals: list[_Signals] = []  # alive until their task reports
        # Remove asks first (tests replace it): ask(title, text) -> yes?
        self.ask: Callable[[str, str], bool] = self._ask_box
        self.table = list_table(self, COLUMNS)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        top, buttons = table_with_buttons(
            self,
            self.table,
            [
                ("Add…", self.add_host),
                ("Edit…", self.edit_host),
                ("Remove", self.remove_host),
                ("Test", self.test_host),
                ("Use GPUs found", self.use_found_gpus),
            ],
        )
        self.add_button, self.edit_button, self.remove_button, self.test_button, self.gpus_button = buttons
        self.gpus_button.setToolTip("Declare the GPUs the last test found (nvidia-smi) as those runs may use")
        self.reports: dict[str, HostReport] = {}  # the last test of each host
        self.clusters: dict[str, Any] = {}  # the last test of each Ray cluster (runner.ray.service)
        self.nodes_label = QLabel(self)
        self.nodes = ClusterNodes(self)
        self.nodes.setMaximumHeight(220)
        self.nodes_label.hide()
        self.nodes.hide()
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate: "working"
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setMaximumHeight(200)
        self.output.setPlaceholderText("Test a host to see its engine version and GPUs.")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.nodes_label)
        layout.addWidget(self.nodes)
        layout.addWidget(self.busy)
        layout.addWidget(self.output)
        layout.addWidget(close)
        self.refresh()

    # --- table ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            hosts = service.list_hosts()
        except HostConfigError as exc:
            hosts = []
            self.output.setPlainText(str(exc))
        self.table.setRowCount(len(hosts))
        for row, host in enumerate(hosts):
            values = [
                host.name,
                host.url,
                str(host.gpus),
                str(host.max_parallel),
                self.status.get(host.name, ""),
            ]
            if host.kind == "ray":  # Ray places the nodes: its GPUs are what the last test found
                cluster = self.clusters.get(host.name)
                values[2:4] = [f"{cluster.free_gpus:g} / {cluster.gpus:g} free" if cluster else "", "Ray"]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def _update_buttons(self) -> None:
        name = self.selected()
        chosen = name is not None and not self._working and self.key_box is None
        for button in (self.edit_button, self.remove_button, self.test_button):
            button.setEnabled(chosen)
        report = self.reports.get(name or "")
        self.gpus_button.setEnabled(chosen and report is not None and bool(report.gpus and report.gpu_check))
        self._show_nodes(name)

    def _show_nodes(self, name: str | None) -> None:
        """The selected cluster's nodes at its last test (nothing for plain hosts)."""
        cluster = self.clusters.get(name or "")
        self.nodes.show_report(cluster)
        self.nodes_label.setText(f"Nodes of Ray cluster {name} at the last test:" if cluster else "")
        self.nodes.setVisible(cluster is not None)
        self.nodes_label.setVisible(cluster is not None)

    # --- add / edit / remove --------------------------------------------------------------------
    def add_host(self) -> None:
        self._open_form(None)

    def edit_host(self) -> None:
        name = self.selected()
        if name is not None:
            self._open_form(next(h for h in service.list_hosts() if h.name == name))

    def _open_form(self, host: HostConfig | None) -> None:
        if self.form is not None:
            self.form.deleteLater()
        self.form = HostForm(host, self)
        self.form.accepted.connect(lambda form=self.form, edit=host is not None: self._save(form, edit))
        self.form.open()

    def _save(self, form: HostForm, edit: bool) -> None:
        config = form.config
        assert config is not None
        secret = form.secret.text()
        form.secret.clear()  # do not keep it in the widget longer than needed
        try:
            service.add_host(config, replace=edit)
            if secret:
                service.store_secret(config.name, form.secret_kind, secret)
        except (HostConfigError, SecretStoreError) as exc:
            QMessageBox.warning(self, "Host not saved", str(exc))
            return
        self.refresh()
        self.select(config.name)

    def remove_host(self) -> None:
        name = self.selected()
        if name is None or not self.ask("Remove host", f"Remove host {name} and its keyring secrets?"):
            return
        try:
            service.remove_host(name)
        except HostConfigError as exc:
            QMessageBox.warning(self, "Host not removed", str(exc))
        self.status.pop(name, None)
        self.clusters.pop(name, None)
        self.refresh()

    def _ask_box(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # --- test (off the UI thread) ---------------------------------------------------------------
    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Any], None]) -> None:
        signals = _Signals(self)
        self._signals.append(signals)

        def finish(handler: Callable[[Any], None], value: Any) -> None:
            self._signals.remove(signals)
            signals.deleteLater()
            self._set_busy(False)
            handler(value)

        signals.done.connect(lambda value: finish(done, value))
        signals.failed.connect(lambda exc: finish(failed, exc))
        self._set_busy(True)
        self.pool.start(_Task(fn, signals))

    def _set_busy(self, busy: bool) -> None:
        self._working = busy
        self.busy.setVisible(busy)
        self.add_button.setEnabled(not busy)
        self._update_buttons()

    def test_host(self) -> None:
        """Check the host keys first (prompting for each unknown one), then connect and report."""
        name = self.selected()
        if name is not None:
            self._check_keys(name)

    def _check_keys(self, name: str) -> None:
        """The route's next key to decide on: each jump host's, then the host's own."""
        self._show(name, "checking…", f"Checking the host keys on the way to {name}…")
        self._run(lambda: service.offered_key(name), lambda o: self._on_key(name, o), self._failer(name))

    def _on_key(self, name: str, offered: service.OfferedKey) -> None:
        who = who_offered(offered)
        if offered.changed:
            self._show(name, "KEY CHANGED", f"Refused: the host key of {who} changed.")
            self._key_box(
                QMessageBox.Icon.Critical,
                "HOST KEY CHANGED",
                f"{who} ({offered.host_id}) now offers a different key:\n\n"
                f"{offered.key_type} {offered.fingerprint}\n\nTrusted until now:\n"
                + "\n".join(offered.trusted)
                + "\n\nSomeone may be intercepting the connection, or the host was reinstalled. "
                "The connection is refused. If the change is legitimate, check the new fingerprint "
                f"with the host's owner and run `pipeline-designer hosts trust {name} --replace`.",
                trust=False,
            )
            self.test_finished.emit(name, False)
        elif not offered.known:
            box = self._key_box(
                QMessageBox.Icon.Question,
                "Unknown host key",
                f"{who} ({offered.host_id}) offers a key that is not trusted yet:\n\n"
                f"{offered.key_type}\n{offered.fingerprint}\n\n"
                "Check this fingerprint with the host's owner. Trust it?",
                trust=True,
            )
            box.buttonClicked.connect(lambda button: self._on_key_answer(name, offered, box, button))
        else:
            self._connect(name)

    def _key_box(self, icon: QMessageBox.Icon, title: str, text: str, trust: bool) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if trust:
            box.trust_button = box.addButton("Trust", QMessageBox.ButtonRole.AcceptRole)  # type: ignore[attr-defined]
            box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        else:
            box.addButton(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._key_box_closed(box))
        self.key_box = box
        self._update_buttons()  # no second test while the question is open
        box.open()
        return box

    def _key_box_closed(self, box: QMessageBox) -> None:
        if self.key_box is box:
            self.key_box = None
        self._update_buttons()

    def _on_key_answer(self, name: str, offered: service.OfferedKey, box: QMessageBox, button: Any) -> None:
        if button is not getattr(box, "trust_button", None):
            self._show(name, "key not trusted", f"The host key of {name} was not trusted; not connected.")
            self.test_finished.emit(name, False)
            return
        try:
            service.trust_offered(name, offered)
        except (HostKeyError, HostConfigError, OSError) as exc:
            self._failer(name)(exc)
            return
        if offered.is_target:
            self._connect(name)
        else:
            self._check_keys(name)  # the next hop of the route

    def _connect(self, name: str) -> None:
        self._show(name, "testing…", f"Connecting to {name}…")
        self._run(lambda: service.test_host(name), lambda r: self._on_report(name, r), self._failer(name))

    def use_found_gpus(self) -> None:
        """The last test's GPUs become the host's GPU set (what runs may lease there)."""
        name = self.selected()
        report = self.reports.get(name or "")
        if name is None or report is None or not report.gpus:
            return
        try:
            service.use_found_gpus(name, report)
        except HostConfigError as exc:
            QMessageBox.warning(self, "GPUs not declared", str(exc))
            return
        self.refresh()
        self.select(name)
        self.output.appendPlainText(f"Runs now use the {len(report.gpus)} GPU(s) of {name}.")

    def _on_report(self, name: str, report: HostReport) -> None:
        if getattr(report, "kind", "") == "ray":  # a Ray cluster: its nodes, GPUs and what is free
            from runner.api import describe_cluster

            self.clusters[name] = report
            workers = sum(1 for n in report.nodes if n.worker and n.alive)  # type: ignore[attr-defined]
            text = "\n".join(describe_cluster(report, with_nodes=False))  # the nodes are in their table
            self._show(name, f"ok: Ray, {workers} worker(s)", text)
            self.test_finished.emit(name, True)
            return
        self.reports[name] = report
        ok = report.reachable and not report.error
        gpus = f", {len(report.gpus)} GPU(s)" if report.gpus else ""
        self._show(name, f"ok: Docker {report.engine_version}{gpus}" if ok else "failed", report_text(report))
        self.test_finished.emit(name, ok)

    def _failer(self, name: str) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self._show(name, "failed", plain_error(exc))
            self.test_finished.emit(name, False)

        return failed

    def _show(self, name: str, status: str, text: str) -> None:
        self.status[name] = status
        self.output.setPlainText(text)
        selected = self.selected()
        self.refresh()
        if selected:
            self.select(selected)

    def done(self, result: int) -> None:
        self.pool.waitForDone(15_000)  # a test in flight ends (connects time out) before we go
        super().done(result)
