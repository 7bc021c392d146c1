"""ember.nn.modules.upsampling (being written)."""

__all__: list = []
