"""Deployment nodes in local runs: endpoint containers on the local Docker engine (no Qt here).

``endpoint`` resolves an endpoint's image, command, port and files; ``container`` runs it on
the engine; ``deployments`` is what the executor drives; ``serve`` is the CLI's serving loop.
Nothing is imported here, so the CLI can load ``serve`` without the execution modules.
"""
