"""The grid itself: its tables, generations of boundaries, tiling rules and boundary files."""
