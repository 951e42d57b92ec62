"""Aggregation: means, the office scorecard, points rules, ranks and grades."""
