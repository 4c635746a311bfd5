"""Dispatch: incidents from intake to closure, routed through the grid."""
