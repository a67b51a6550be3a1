"""``python -m viewcast`` runs the command line."""

from viewcast.cli.app import main

main()
