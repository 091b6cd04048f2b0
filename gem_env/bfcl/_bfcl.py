"""The one boundary to the bfcl-eval package: lazy imports, its data folder, and error translation.

Nothing here runs at ``import gem_env``; every function imports bfcl_eval when first called. Before
the first import, ``BFCL_PROJECT_ROOT`` defaults to a cache folder so bfcl-eval does not create its
``result/``, ``score/`` and ``.file_locks/`` folders inside site-packages.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from tools_registry.errors import ConfigError

__all__ = ["INSTALL_HINT", "bfcl_available", "bfcl_version", "package_data_dir", "require_bfcl"]

INSTALL_HINT = (
    "the BFCL environments need the optional extra 'bfcl' (PyPI bfcl-eval): install torch first "
    "(pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu), then pip install 'gem-env[bfcl]'"
)


def bfcl_available() -> bool:
    """True when bfcl-eval is importable (checked without importing it)."""
    return importlib.util.find_spec("bfcl_eval") is not None


def bfcl_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bfcl-eval")
    except PackageNotFoundError:
        return None


def package_data_dir() -> Path:
    """bfcl-eval's own data folder (the v4 files it ships), found without importing the package."""
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _default_project_root() -> None:
    if "BFCL_PROJECT_ROOT" not in os.environ:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gem-env" / "bfcl"
        root.mkdir(parents=True, exist_ok=True)
        os.environ["BFCL_PROJECT_ROOT"] = str(root)


@lru_cache(maxsize=1)
def require_bfcl() -> SimpleNamespace:
    """bfcl-eval's multi-turn execution and checking functions (imported once), or a ConfigError."""
    if not bfcl_available():
        raise ConfigError(INSTALL_HINT)
    _default_project_root()
    try:
        utils = importlib.import_module("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils")
        checker = importlib.import_module("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker")
        prompts = importlib.import_module("bfcl_eval.constants.default_prompts")
        backend_config = importlib.import_module("bfcl_eval.constants.executable_backend_config")
        handler_utils = importlib.import_module("bfcl_eval.model_handler.utils")
    except ImportError as exc:  # a broken install: say which module is missing
        raise ConfigError(f"bfcl-eval is installed but cannot be imported ({exc}); {INSTALL_HINT}") from exc
    return SimpleNamespace(
        execute_multi_turn_func_call=utils.execute_multi_turn_func_call,
        is_empty_execute_response=utils.is_empty_execute_response,
        utils_globals=vars(utils),
        multi_turn_checker=checker.multi_turn_checker,
        convert_to_function_call=handler_utils.convert_to_function_call,
        MAXIMUM_STEP_LIMIT=prompts.MAXIMUM_STEP_LIMIT,
        ADDITIONAL_FUNCTION_PROMPT_FC=prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC,
        CLASS_FILE_PATH_MAPPING=backend_config.CLASS_FILE_PATH_MAPPING,
        STATELESS_CLASSES=list(backend_config.STATELESS_CLASSES),
        FUNC_DOC_FILES=dict(backend_config.MULTI_TURN_FUNC_DOC_FILE_MAPPING),
    )
