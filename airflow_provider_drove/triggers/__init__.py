"""Drove provider triggers."""
