"""Executing plans: the executor loop, parameter/command rendering and the backends."""
