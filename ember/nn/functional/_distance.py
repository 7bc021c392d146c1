"""ember.nn.functional distance family (being written)."""

__all__: list = []
