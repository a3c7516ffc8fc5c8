"""pytest plugin registering the ``drove_emulator`` fixture (filled in by the emulator work)."""
