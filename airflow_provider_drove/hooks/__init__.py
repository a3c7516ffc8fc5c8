"""Hooks for the Drove controller API."""
