"""The parts of ``ember.serialization``: the zip container (``_zipformat``), the restricted
unpickler (``_unpickler``), torch's names mapped to ember's (``_rebuild``) and the legacy
non-zip format (``_legacy``). The public names live in ``ember.serialization``."""
