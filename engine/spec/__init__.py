"""gst.engine.spec: the torch-free language of runs: specs and their checks, presets, plans, schedules, events,
jobs, the journal line format and the error types. Anything here imports without torch or numpy."""
