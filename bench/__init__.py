"""Benchmarks that print figures and ratios, one run each (GUIDE section 5)."""
