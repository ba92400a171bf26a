"""Measured data read into gridmodel: hourly balancing-authority demand (EIA-930)."""
