"""System metrics of running units: CPU, memory and GPU figures sampled once a second.

Where a unit's container runs, the backend follows it: one Docker API stats stream per
container (``container_stats``, a thread that only reads) and, when GPUs are assigned to it,
one looping ``nvidia-smi`` per host shared by the units there (``gpu_watch``; over SSH for a
remote host; the Ray task runs it on its worker). Samples land in the unit's ``SystemFeed``
(``samples``); the unit runner stores them apart from the user's metadata and publishes them
(``SystemSampled``). The Ray worker sends raw stats frames and nvidia-smi output, parsed
here too, so every backend's samples mean the same.
"""
