"""ember.nn.functional padding family (being written)."""

__all__: list = []
