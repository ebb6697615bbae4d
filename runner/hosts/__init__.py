"""Remote Docker hosts reached over SSH: registry, keyring secrets, host keys, clients, health.

Nothing here imports Qt. The registry (non-secret fields) lives in the user's config dir;
secrets only in the system keyring; host keys only in our own known_hosts file, trusted
explicitly (``pipeline-designer hosts trust NAME``), never accepted silently.
"""
