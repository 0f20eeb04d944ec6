"""``python -m aggregator`` runs the command line, like the ``aggregator`` script."""

from aggregator.cli import main

main()
