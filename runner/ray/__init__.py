"""Ray clusters as a run target: the runner reaches the head over SSH and drives Ray there.

The runner never imports ``ray``: ``link.DriverLink`` runs ``remote/`` (shipped as one zip
file) under the cluster's own Python on the head, where a relay joins the run to the head's
long-lived driver (``remote/relay.py``, ``remote/daemon.py``), and speaks its line protocol
(``remote/protocol.py``); ``backend.RayBackend`` is the executor's backend on top of it. See
docs/scale-out.md.
"""
