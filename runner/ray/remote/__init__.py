"""What runs on the Ray cluster: the driver (on the head) and the node task (on the workers).

Standard library and ``ray`` only, importable by Python 3.9 and later (the cluster's own Python,
not ours); nothing here imports the rest of the runner. ``runner.ray.link`` ships this folder
to the head as a zip file and runs it there; Ray pickles the task's code by value, so the
workers need nothing of ours installed.
"""
