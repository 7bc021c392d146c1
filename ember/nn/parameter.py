"""ember.nn.parameter (being written)."""

__all__: list = []
