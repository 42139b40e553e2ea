"""Locks: the keys outputs and runs are locked under, the settings a task asks for, and
``RunWithLock``. The locks themselves come from lock plugins (``gokart_make_target_lock`` and
``gokart_make_run_lock``); without one configured, locking is a no-op."""
