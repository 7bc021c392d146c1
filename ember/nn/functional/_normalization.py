"""ember.nn.functional normalization family (being written)."""

__all__: list = []
