"""`python -m sagetrim` runs the command line."""

from sagetrim.cli import main

main()
