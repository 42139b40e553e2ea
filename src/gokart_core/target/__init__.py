"""Targets: one output file (``TargetOnKart``), its format (``Format``, the registry), and the
storage under it (atomic writes on any fsspec filesystem, the existence cache)."""
