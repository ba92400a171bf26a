"""Hourly dispatch and the batched AC power flow of a study."""
