"""ember.nn.functional pooling family (being written)."""

__all__: list = []
