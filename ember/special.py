"""ember.special (being written)."""
