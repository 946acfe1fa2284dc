"""The shared fixtures live in a plugin (tests/fixtures.py), loaded here for the whole suite."""

pytest_plugins = ("tests.fixtures",)
