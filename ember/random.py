"""ember.random (being written)."""
