"""ember.nn.functional dropout family (being written)."""

__all__: list = []
