"""The atlas: outlines for the map, point lookup, bulk assignment and exports."""
