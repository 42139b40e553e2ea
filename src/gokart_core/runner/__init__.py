"""Running tasks: ``build`` from Python, ``run`` from the command line, the progress line, and
what ``--graph-output`` / ``--tree-info-mode`` write instead of running."""
