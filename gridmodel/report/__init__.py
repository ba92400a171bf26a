"""Figures and tables for policy briefs."""
