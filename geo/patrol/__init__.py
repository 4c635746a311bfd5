"""Patrol: the harvest season's zones, tasks and check-ins, hotspots and briefings."""
