"""Lectern's ground floor: helpers every app may use.

Imports Django and third-party libraries only, never a Lectern app (enforced by
lms/tests/test_layout.py)."""
