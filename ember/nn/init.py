"""ember.nn.init (being written)."""

__all__: list = []
