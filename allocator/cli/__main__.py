"""``python -m allocator.cli``."""

from allocator.cli import main

main()
