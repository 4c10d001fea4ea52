"""Releases: the hand-written release definition and the generated per-file lock."""
