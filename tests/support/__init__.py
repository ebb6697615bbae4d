"""Helpers shared by tests in several packages (imported as ``tests.support.<module>``)."""
