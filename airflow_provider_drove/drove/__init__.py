"""Everything the provider knows about Drove, with no I/O: models, payloads, envelopes, conditions."""
