"""Reading conversation turns: every malformed line is a clear error naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.learning.turns import ConversationTurn, TurnsFileError, read_turns

pytestmark = pytest.mark.fast


def test_a_turns_file_reads_as_turns(tmp_path: Path) -> None:
    path = tmp_path / "turns.jsonl"
    path.write_text(json.dumps({"dialog_id": 7, "context": ["hi", "I loved Heat"], "rec": ["Ronin"]}) + "\n")
    assert list(read_turns(path)) == [ConversationTurn("7", ("hi", "I loved Heat"), (), ("Ronin",))]


@pytest.mark.parametrize(
    ("line", "problem"),
    [('{"dialog_id": 1, "context": []}', "needs 'rec'"), ("not json", "not a turn"), ("[1, 2]", "not a turn")],
)
def test_a_bad_line_names_its_place(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "turns.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(TurnsFileError, match=rf"turns.jsonl:1: .*{problem}"):
        list(read_turns(path))


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TurnsFileError, match="no such turns file"):
        list(read_turns(tmp_path / "absent.jsonl"))
