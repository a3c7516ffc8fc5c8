"""Drove controller emulator: a local, faithful Drove controller API for tests."""
