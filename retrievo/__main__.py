"""``python -m retrievo``: the command line (see :mod:`retrievo.cli`)."""

from retrievo.cli import main

raise SystemExit(main())
