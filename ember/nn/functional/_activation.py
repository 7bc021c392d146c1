"""ember.nn.functional activation family (being written)."""

__all__: list = []
