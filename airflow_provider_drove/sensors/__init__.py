"""Drove provider sensors."""
