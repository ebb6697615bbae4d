"""The resident runner: an opt-in warm process that serves ``run`` and ``lint`` like a notebook kernel.

A ``pipeline-designer run`` spends ~0.2 s importing what a run needs (the Docker SDK, valohai-yaml
with jsonschema, the runner's own modules) before its container starts. With the resident runner
on (``pipeline-designer settings set resident-runner on``, or ``PIPELINE_DESIGNER_RESIDENT=1``),
the console script hands the command to a long-lived process of this user and installation that
has imported all that already (``client.py``, stdlib only); it forks a child per command with
the caller's argv, folder, environment, umask and standard streams (``server.py``).
"""
