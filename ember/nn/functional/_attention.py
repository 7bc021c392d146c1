"""ember.nn.functional attention family (being written)."""

__all__: list = []
