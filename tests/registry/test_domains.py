"""Domains on disk: save/load round trips, discovery, whole-domain checks, malformed input."""

import textwrap

import orjson
import pytest

from tools_registry import ConfigError, DomainError
from tools_registry.checks import domain_problems
from tools_registry.domains import DOMAINS_ENV, discover_domains, find_domain, load_domain, load_toolkit, save_domain
from tools_registry.records import Domain
from tools_registry.reference import ReferenceBuilder

TOOLS_PY = textwrap.dedent('''
    """A tiny lending library."""
    from pydantic import BaseModel
    from tools_registry import Toolkit, require, tool


    class State(BaseModel):
        copies: dict[str, int] = {}
        loans: list[str] = []


    class Library(Toolkit):
        State = State

        @tool
        def count_copies(self, book_id: str) -> dict:
            """Count the copies on the shelf.

            Args:
                book_id: Catalogue id.
            """
            require(book_id in self.state.copies, f"book {book_id} not found")
            return {"book_id": book_id, "copies": self.state.copies[book_id]}

        @tool(mutates=True)
        def lend_book(self, book_id: str, member_id: str) -> dict:
            """Lend a book.

            Args:
                book_id: Catalogue id.
                member_id: Library card number.
            """
            require(self.state.copies.get(book_id, 0) > 0, "no copies left")
            self.state.copies[book_id] -= 1
            self.state.loans.append(f"{book_id}:{member_id}")
            return {"loaned": book_id}
''')


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "domains" / "library"
    folder.mkdir(parents=True)
    (folder / "tools.py").write_text(TOOLS_PY)
    kit = load_toolkit(folder / "tools.py", "library")
    initial = {"copies": {"B1": 1, "B2": 0}, "loans": []}
    b = ReferenceBuilder(kit, initial)
    b.user("Can I borrow B2 or B1? Card M7.")
    b.call("count_copies", book_id="B2")
    b.call("lend_book", book_id="B2", member_id="M7", expect_error=True)
    b.call("lend_book", book_id="B1", member_id="M7")
    b.assistant("B2 has no copies left, so I lent you B1.")
    task = b.task(
        "borrow",
        "library",
        user={"instruction": "Borrow B2, else B1.", "turns": ["Can I borrow B2 or B1? Card M7."]},
        communicate=["no copies left"],
    )
    domain = Domain(
        name="library",
        description="Lending desk.",
        policy="Lend books.",
        tools=kit.tool_specs(),
        state_schema=kit.state_schema(),
        initial_state=initial,
    )
    save_domain(domain, [task], folder)
    return folder


def test_round_trip_and_checks(library):
    ld = load_domain(library)
    assert ld.name == "library" and ld.toolkit is not None and ld.task_ids() == ["borrow"]
    assert domain_problems(ld) == []
    task = ld.task("borrow")
    assert [a.name for a in task.criteria.actions] == ["lend_book"]
    from tools_registry.reference import expected_final_state

    assert expected_final_state(ld.domain.initial_state, task.criteria) == {
        "copies": {"B1": 0, "B2": 0},
        "loans": ["B1:M7"],
    }
    # save again and compare files byte for byte
    out = save_domain(ld.domain, ld.tasks, library.parent / "copy")
    for name in ("domain.json", "tasks.jsonl"):
        assert (out / name).read_bytes() == (library / name).read_bytes()
    with pytest.raises(ConfigError, match="no task 'borow'"):
        ld.task("borow")


def test_checks_catch_a_tampered_reference_and_state(library):
    rows = [orjson.loads(line) for line in (library / "tasks.jsonl").read_bytes().splitlines()]
    rows[0]["reference"][2]["content"] = '{"book_id":"B2","copies":5}'
    rows[0]["criteria"]["final_state"] = []
    rows[0]["criteria"]["actions"].append({"name": "count_copies", "arguments": {}})
    (library / "tasks.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    problems = "\n".join(domain_problems(load_domain(library)))
    assert "tool output #1 differs" in problems
    assert "final state differs" in problems
    assert "read-only tool" in problems


def test_checks_catch_stale_domain_json(library):
    d = orjson.loads((library / "domain.json").read_bytes())
    d["tools"][0]["parameters"]["properties"]["book_id"]["type"] = "integer"
    d["initial_state"]["copies"] = "many"
    (library / "domain.json").write_bytes(orjson.dumps(d))
    problems = "\n".join(domain_problems(load_domain(library, load_tools=True)))
    assert "differs from tools.py" in problems
    assert "initial_state" in problems


def test_discovery_from_env_and_explicit_paths(library, monkeypatch, tmp_path):
    monkeypatch.delenv(DOMAINS_ENV, raising=False)
    assert "library" not in discover_domains()
    assert discover_domains([library.parent])["library"] == library
    assert discover_domains([library])["library"] == library  # a domain folder itself
    monkeypatch.setenv(DOMAINS_ENV, str(library.parent))
    assert find_domain("library") == library
    with pytest.raises(ConfigError, match="did you mean library"):
        find_domain("librar")
    with pytest.raises(ConfigError, match="invalid domain name"):
        find_domain("../etc")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: (f / "domain.json").write_text("{not json"), "not valid JSON"),
        (lambda f: (f / "domain.json").write_text('{"name": "library", "tols": []}'), "tols"),
        (lambda f: (f / "domain.json").write_text('{"name": "Library Desk"}'), "invalid domain name"),
        (lambda f: (f / "domain.json").unlink(), "missing domain.json"),
        (lambda f: (f / "tasks.jsonl").write_text('{"id": "t"}\n'), "tasks.jsonl:1"),
        (lambda f: (f / "tools.py").write_text("import nonexistent_module_xyz\n"), "importing tools.py failed"),
    ],
)
def test_malformed_domains_get_one_clear_error(library, mutate, message):
    mutate(library)
    with pytest.raises((DomainError, ConfigError), match=message):
        load_domain(library)


def test_missing_paths(tmp_path):
    with pytest.raises(ConfigError, match="no such domain folder"):
        load_domain(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        load_domain(tmp_path / "file")
