"""ember.nn.functional vision family (being written)."""

__all__: list = []
