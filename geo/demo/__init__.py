"""Demonstration data: generated grids, staff, incidents and zones.

Nothing outside this package imports it but the CLI, the scripts and the tests.
"""
