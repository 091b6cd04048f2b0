"""@tool and Toolkit: signature + Google docstring -> schema; calls over typed state."""

from typing import Literal

import pytest
from pydantic import BaseModel

from tools_registry import ToolDefinitionError, ToolError, Toolkit, require, spec_from_callable, tool
from tools_registry.pytools import format_tool_error, format_tool_output, parse_google_docstring
from tools_registry.validation import tool_problems


class Book(BaseModel):
    title: str
    copies: int


class LibraryState(BaseModel):
    books: dict[str, Book] = {}
    loans: list[str] = []


class Library(Toolkit):
    State = LibraryState

    @tool
    def find_book(self, book_id: str) -> dict:
        """Look up a book by id.

        Args:
            book_id: The catalogue id, such as
                'B-100' (continuation line).
        """
        require(book_id in self.state.books, f"book {book_id} not found")
        return self.state.books[book_id].model_dump()

    @tool(mutates=True)
    def lend_book(
        self, book_id: str, member_id: str, days: int = 14, format: Literal["print", "ebook"] = "print"
    ) -> dict:
        """Lend a book to a member.

        Args:
            book_id (str): The catalogue id.
            member_id (str): The member's card number.
            days: Loan length in days.
            format: Which edition to lend.

        Returns:
            The loan record.
        """
        book = self.state.books[book_id]
        require(book.copies > 0, "no copies left")
        book.copies -= 1
        self.state.loans.append(f"{book_id}:{member_id}")
        return {"book_id": book_id, "member_id": member_id, "days": days}


def test_schema_from_signature_and_docstring():
    specs = {s.name: s for s in Library.tool_specs()}
    lend = specs["lend_book"]
    assert lend.mutates and not specs["find_book"].mutates
    assert lend.description == "Lend a book to a member."
    p = lend.parameters
    assert p["required"] == ["book_id", "member_id"]
    assert p["properties"]["days"] == {"type": "integer", "default": 14, "description": "Loan length in days."}
    assert p["properties"]["format"]["enum"] == ["print", "ebook"]
    assert p["additionalProperties"] is False
    assert (
        specs["find_book"].parameters["properties"]["book_id"]["description"]
        == "The catalogue id, such as 'B-100' (continuation line)."
    )
    assert tool_problems(Library.tool_specs()) == []


def test_calls_change_typed_state_and_errors_are_tool_errors():
    kit = Library({"books": {"B1": {"title": "Dune", "copies": 1}}})
    assert kit.call("lend_book", {"book_id": "B1", "member_id": "M9"})["days"] == 14
    assert kit.dump_state() == {"books": {"B1": {"title": "Dune", "copies": 0}}, "loans": ["B1:M9"]}
    with pytest.raises(ToolError, match="no copies left"):
        kit.call("lend_book", {"book_id": "B1", "member_id": "M9"})
    with pytest.raises(KeyError):
        kit.call("lend_book", {"book_id": "B2", "member_id": "M9"})
    with pytest.raises(ToolError, match="unknown tool"):
        kit.call("burn_book", {})


def test_missing_type_hint_is_a_definition_error():
    def f(x, y: int):
        """Do it.

        Args:
            x: first
            y: second
        """

    with pytest.raises(ToolDefinitionError, match="'x' has no type hint"):
        spec_from_callable(f)


def test_docstring_parser_sections():
    summary, args = parse_google_docstring("""Summary here.

    More text.

    Args:
        a (int): First.
        b: Second,
            wrapped.

    Raises:
        ValueError: never.
    """)
    assert summary == "Summary here. More text."
    assert args == {"a": "First.", "b": "Second, wrapped."}


def test_output_and_error_formatting():
    assert format_tool_output("plain") == "plain"
    assert format_tool_output({"b": 1, "a": [Book(title="x", copies=1)]}) == '{"b":1,"a":[{"title":"x","copies":1}]}'
    assert format_tool_error(ToolError("order not found")) == "Error: order not found"
    assert format_tool_error(KeyError("B2")) == "Error: B2"
