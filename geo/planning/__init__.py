"""Planning: redrawing grids as reviewed, versioned plans."""
