"""gokart's module path ``gokart.tree``: the task information of a dependency graph
(:mod:`gokart_core.tree.task_info`), drawn by :mod:`gokart_core.graph`."""
