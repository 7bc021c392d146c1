"""ember.nn.modules.channelshuffle (being written)."""

__all__: list = []
