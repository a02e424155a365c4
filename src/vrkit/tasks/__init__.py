"""Tasks: one function per user task, what the CLI, the web app and notebooks call."""
