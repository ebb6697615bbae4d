"""Ray clusters as a run target: the runner reaches the head over SSH and drives Ray there.

The runner never imports ``ray``: ``link.DriverLink`` starts the driver of ``remote/`` (shipped
as one zip file) under the cluster's own Python on the head and speaks its line protocol
(``remote/protocol.py``); ``backend.RayBackend`` is the executor's backend on top of it. See
docs/scale-out.md.
"""
