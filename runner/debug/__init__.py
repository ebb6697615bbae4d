"""Debugging one node: a shell in its world, a debugger attached to it, a post-mortem of its failure."""
