"""Drove provider links."""
