"""``python -m benchmarks.insights [--quick]``."""

from benchmarks.insights.run import main

raise SystemExit(main())
