"""``python -m simpleseg_agent.cli``: the ``simpleseg`` command."""

from .main import main

raise SystemExit(main())
