"""Corpora that retrievo builds on the user's machine (nothing bundled from anyone else)."""
