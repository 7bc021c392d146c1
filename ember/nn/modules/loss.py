"""ember.nn.modules.loss (being written)."""

__all__: list = []
