"""Headless participants: the reference client for tests, load and recording."""
