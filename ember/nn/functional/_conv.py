"""ember.nn.functional conv family (being written)."""

__all__: list = []
