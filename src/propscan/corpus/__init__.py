"""Corpus-level analysis over the store: near-duplicates, stories, outlet profiles and trends."""
