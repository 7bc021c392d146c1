"""ember.nn.functional loss family (being written)."""

__all__: list = []
