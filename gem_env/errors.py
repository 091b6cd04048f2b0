"""Re-export of the project's error hierarchy (defined in tools_registry.errors, the bottom layer)."""

from tools_registry.errors import *  # noqa: F401,F403
from tools_registry.errors import __all__  # noqa: F401
