"""A Debug Adapter Protocol test client (tests of --debug, local and remote)."""
