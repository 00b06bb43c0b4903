"""Running many runs: jobs and seed stacks, durable event journals, and the backends that execute them.

Emits plain event records into a sink the caller provides; knows nothing of the database or the UI.
"""
