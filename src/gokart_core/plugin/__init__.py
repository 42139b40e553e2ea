"""The plugin system: hook markers, hook specifications and the plugin manager.

Modules, each with one purpose:

- ``markers``: the pluggy project name and the ``hookspec`` / ``hookimpl`` markers;
- ``spec``: every hook gokart-core calls, with its contract;
- ``manager``: builds the plugin manager (lazily) and forwards calls to ``pm.hook.*``;
- ``builtin``: core's own implementations, all ``trylast`` so that plugins win;
- ``logs``: core's supplementary log files, a builtin plugin of the lifecycle hooks.
"""
