"""Drove provider operators."""
