"""Helpers the lab notebooks import: data loading, seeding, saving graded artifacts, plots.

Importing `labs` does not import TensorFlow; `seed_everything` does, quietly.
"""
from labs.seeding import seed_everything

__all__ = ["seed_everything"]
