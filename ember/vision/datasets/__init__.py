"""``torchvision.datasets`` for ember: MNIST, FashionMNIST and CIFAR10 read from their
standard files (downloaded with md5 checks when asked), and the bundled 8x8 ``Digits``.

Images come back as PIL images, as in torchvision, when Pillow is installed; without Pillow
they are uint8 ndarrays (``HxW`` for MNIST, ``HxWx3`` for CIFAR-10). ``Digits`` returns ember
tensors.

    >>> from ember.vision.datasets import Digits
    >>> len(Digits()), len(Digits(train=False))
    (1437, 360)
"""

from .cifar import CIFAR10
from .digits import Digits
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset
