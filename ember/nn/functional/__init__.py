"""ember.nn.functional: the math of every layer (as torch.nn.functional), one family per file."""

from ._activation import *  # noqa: F403
from ._attention import *  # noqa: F403
from ._conv import *  # noqa: F403
from ._distance import *  # noqa: F403
from ._dropout import *  # noqa: F403
from ._fractional import *  # noqa: F403
from ._grid import *  # noqa: F403
from ._linear import *  # noqa: F403
from ._linear_ce import *  # noqa: F403
from ._loss import *  # noqa: F403
from ._misc import *  # noqa: F403
from ._normalization import *  # noqa: F403
from ._padding import *  # noqa: F403
from ._pooling import *  # noqa: F403
from ._sparse import *  # noqa: F403
from ._vision import *  # noqa: F403
