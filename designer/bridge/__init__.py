"""Runner ↔ Qt: the only package that touches runner threads (docs/architecture.md, "Threads")."""
