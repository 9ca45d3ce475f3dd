"""Namespace of MMPretrain-style plugin projects shipped in this repository."""
