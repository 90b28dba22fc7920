"""The Party members of each cell (its roster)."""
