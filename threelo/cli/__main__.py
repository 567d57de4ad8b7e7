"""``python -m threelo.cli``: the same as the ``threelo`` command."""

from threelo.cli.main import main

raise SystemExit(main())
