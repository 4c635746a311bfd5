"""Accounts: users, their jurisdiction and nets (the principal), sessions and tokens."""
