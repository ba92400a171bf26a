"""Sizing: regional expansion, behind-the-meter campus supply and hourly economic dispatch (Pyomo/HiGHS)."""
