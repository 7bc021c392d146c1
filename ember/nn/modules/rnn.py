"""ember.nn.modules.rnn (being written)."""

__all__: list = []
