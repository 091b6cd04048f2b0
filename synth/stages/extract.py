"""Stage 2, Extraction: workflows and tools, with every Stage-2 check of paper.md.

Checks: tool definitions (tools_registry.validation rules: schema valid, required within
properties, unique snake_case names, described and typed parameters); every example action names
a defined tool and its arguments validate; execution-graph nodes are tools. Repairs (recorded):
MCP ``inputSchema`` -> ``parameters``; camelCase or spaced tool names -> snake_case (actions and
graph follow); ``required`` names missing from ``properties`` removed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from tools_registry.errors import ParseError, ToolError
from tools_registry.validation import ToolSet, tool_problems

from ..convert import tools_from_json
from ..item import SynthItem
from ..records import Blueprint, Workflow
from .base import LLMStage, StageDrop, raise_problems

__all__ = ["Extractor", "graph_nodes", "to_snake"]

_NODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def to_snake(name: str) -> str:
    """``name`` in snake_case (camelCase split, other characters turned into underscores)."""
    return re.sub(r"[^a-z0-9]+", "_", _CAMEL.sub("_", name).lower()).strip("_")


def graph_nodes(graph: str) -> list[str]:
    """Names in an execution graph like ``(login)->(search)->(a, b)``."""
    return _NODE.findall(graph or "")


class Extractor(LLMStage):
    """Fills ``item.blueprint`` from the text and its tags; raises StageDrop(extract, ...) otherwise."""

    name = "extract"
    prompt_name = "extract"

    def parse(self, data: dict[str, Any], item: SynthItem) -> Blueprint:
        """The blueprint in a reply, tool names made snake_case (workflows follow the renames).

        Raises:
            StageDrop: The tools or workflows cannot be parsed.
        """
        repairs: list[str] = []
        try:
            tools = tools_from_json(data.get("tools"), repairs)
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None
        renames = {}
        for t in tools:
            snake = to_snake(t.name)
            if snake != t.name and snake:
                renames[t.name] = snake
                repairs.append(f"tool name {t.name!r} -> {snake!r}")
                t.name = snake
            props = t.parameters.get("properties")
            req = t.parameters.get("required")
            if isinstance(props, dict) and isinstance(req, list):
                kept = [r for r in req if r in props]
                if len(kept) != len(req):
                    repairs.append(
                        f"tool {t.name!r}: dropped required names not in properties "
                        f"{sorted(set(map(str, req)) - set(kept))}"
                    )
                    t.parameters["required"] = kept
        raw_wf = data.get("workflows")
        if not isinstance(raw_wf, list) or not raw_wf:
            raise StageDrop(self.name, "parse", ["workflows must be a non-empty list"])
        workflows = []
        for i, w in enumerate(raw_wf):
            if isinstance(w, dict):
                w = dict(w)
                if isinstance(w.get("steps"), str):
                    w["steps"] = [s for s in w["steps"].splitlines() if s.strip()]
                    repairs.append(f"workflow {i}: steps split from one string")
                for a in w.get("actions") or []:
                    if isinstance(a, dict) and a.get("name") in renames:
                        a["name"] = renames[a["name"]]
                if renames and isinstance(w.get("execution_graph"), str):
                    w["execution_graph"] = _NODE.sub(
                        lambda m: renames.get(m.group(0), m.group(0)), w["execution_graph"]
                    )
            try:
                workflows.append(Workflow.model_validate(w))
            except ValidationError as exc:
                raise StageDrop(self.name, "parse", [f"workflow {i}: {str(exc)[:300]}"]) from None
        item.records.add_repairs(self.name, repairs)
        return Blueprint(workflows=workflows, tools=tools)

    def check(self, bp: Blueprint) -> list[str]:
        """Problems of a blueprint: bad or no tools, example calls or graph nodes that do not fit the tools."""
        problems = list(tool_problems(bp.tools))
        if not bp.tools:
            problems.append("[tools] no tools")
        if problems:
            return problems
        ts = ToolSet(bp.tools)
        for i, wf in enumerate(bp.workflows):
            for a in wf.actions:
                try:
                    ts.check_call(a.name, a.arguments)
                except ToolError as exc:
                    rule = "action-tool" if a.name not in ts else "action-arguments"
                    problems.append(f"[{rule}] workflow {i}: {exc}")
            for node in graph_nodes(wf.execution_graph):
                if node not in ts:
                    problems.append(f"[graph] workflow {i}: node {node!r} is not a tool")
        return problems

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the source text and the tags the selection stage gave it."""
        tags = item.tags.model_dump() if item.tags is not None else {}
        return {
            "text": item.segment.text,
            "summary": tags.get("summary", ""),
            "domain": tags.get("domain", ""),
            "task": tags.get("task", ""),
            "platform": tags.get("platform", ""),
        }

    async def run(self, item: SynthItem) -> None:
        """Extract the item's tools and workflows into ``item.blueprint``."""
        bp = self.parse(await self.ask(item), item)
        raise_problems(self.name, self.check(bp))
        item.blueprint = bp
