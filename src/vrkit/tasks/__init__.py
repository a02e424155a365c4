"""One function per user task: what the CLI, the web layer and notebooks call."""
