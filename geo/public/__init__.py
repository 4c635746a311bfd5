"""Residents' participation: reports and tracking without an account, public grid boards, Open311."""
