"""``python -m vrkit``: the command line."""

from vrkit.cli import main

main()
