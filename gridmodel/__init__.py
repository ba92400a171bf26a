"""gridmodel: AI training campuses on regional power grids, from load profile to household bill."""

__version__ = "0.1.0"
