"""Curtailment-enabled headroom: how much new load an area takes if the load curtails a little."""
