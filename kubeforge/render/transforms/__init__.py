"""Transforms on rendered upstream objects: each a small function with one job and a test of its own."""
