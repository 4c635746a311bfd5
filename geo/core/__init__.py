"""The core every capability builds on.

Errors, clock and calendar, coordinate systems, SQL helpers, limits, idempotency, the audit trail.
"""
