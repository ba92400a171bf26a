"""Residential price pass-through: revenue requirement, cost allocation, tariffs and bills."""
