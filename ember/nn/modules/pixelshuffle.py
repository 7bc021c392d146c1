"""ember.nn.modules.pixelshuffle (being written)."""

__all__: list = []
