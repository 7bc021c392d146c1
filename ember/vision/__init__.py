"""ember.vision: a torchvision-shaped companion (models, transforms, datasets) on NumPy."""

from . import datasets, models, transforms
