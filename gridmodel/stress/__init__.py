"""Grid stress: overloads, voltage violations, N-1 screening and hosting capacity."""
