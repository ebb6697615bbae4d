"""Runner ↔ Qt: the only package that touches runner threads (STYLE 6.1, 6.4)."""
