"""ember.linalg (being written)."""
