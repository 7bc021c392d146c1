"""``torchvision.transforms`` for ember: image transforms on ember tensors (``CHW``/``NCHW``),
NumPy arrays (``to_tensor``, ``to_pil_image``) and PIL images (when Pillow is installed).

    >>> import ember.vision.transforms as T
    >>> T.Compose([T.ToTensor(), T.Resize(4)])(np.zeros((8, 8, 3), np.uint8)).shape
    ember.Size([3, 4, 4])
"""

from . import functional
from .functional import InterpolationMode
from .transforms import (
    CenterCrop,
    Compose,
    ConvertImageDtype,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomVerticalFlip,
    Resize,
    ToPILImage,
    ToTensor,
)
