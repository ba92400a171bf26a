"""Frequency and voltage response of the grid to sudden campus load loss and training swings."""
