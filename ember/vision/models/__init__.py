"""A torchvision-shaped model zoo: module names equal torchvision's, so a torchvision ``.pth``
state_dict loads with ``load_state_dict`` (or ``weights=<path or URL>``)."""

from .mobilenet import *  # noqa: F403
from .resnet import *  # noqa: F403
from .vgg import *  # noqa: F403
