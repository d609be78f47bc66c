"""``python -m civicsortition``: see :mod:`civicsortition.cli`."""

from .cli import main

raise SystemExit(main())
