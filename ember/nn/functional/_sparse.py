"""ember.nn.functional sparse family (being written)."""

__all__: list = []
