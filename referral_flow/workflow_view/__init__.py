"""The live workflow diagram (``/workflow/``), drawn from the shared state machine."""
