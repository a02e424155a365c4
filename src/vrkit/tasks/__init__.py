"""Task functions: one per user task, what the CLI, web and notebooks call."""
