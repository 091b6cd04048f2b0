"""``python -m gem_env.cli``: the ``gem`` command line."""

from gem_env.cli import main

main()
