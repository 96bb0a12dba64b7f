"""Helpers the lab notebooks import: data loading, seeding and plots."""
