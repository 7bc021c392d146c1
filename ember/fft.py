"""ember.fft (being written)."""
