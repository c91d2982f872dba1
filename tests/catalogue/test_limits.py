"""What a table may cost: every input that used to crash, hang or eat memory is a located error.

Before, a control character gave a `yaml.reader.ReaderError` traceback, a self-referencing alias
and 50,000-deep nesting raised RecursionError, and a few hundred bytes of nested aliases
("billion laughs") took 12 s and 1.5 GB. Each is now refused before any big Python object exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from valid_table import VALID

from bot.core.catalogue import LoadResult, load_catalogue, parse_catalogue, render_problem
from bot.core.yaml_reader import LIMITS, Limits, has_libyaml, read_yaml

# The classic 9x9 "billion laughs": a few hundred bytes that expand to 10**9 strings.
LAUGHS = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def only_error(result: LoadResult) -> tuple[str, int | None, int | None, str]:
    """The one error of a result: code, line, column and the Chinese message."""
    assert result.catalogue is None
    assert len(result.errors) == 1, [render_problem(p) for p in result.problems]
    p = result.errors[0]
    for lang in ("zh", "en"):
        assert render_problem(p, lang)
    return p.code, p.line, p.column, render_problem(p)


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9f",
     "\ufffe", "\uffff", "\ud800"],
)  # fmt: skip
def test_a_control_character_is_named_at_its_line_and_column(char: str) -> None:
    text = VALID.replace("    title: 打好蓝天保卫战", f"    title: 打好{char}蓝天保卫战")
    code, line, column, message = only_error(parse_catalogue(text))
    assert code == "control_char"
    assert line == VALID.splitlines().index("    title: 打好蓝天保卫战") + 1
    assert column == len("    title: 打好") + 1
    assert f"U+{ord(char):04X}" in message


def test_tab_newline_and_carriage_return_are_not_control_characters() -> None:
    text = VALID.replace("    title: 打好蓝天保卫战", '    title: "打好\t蓝天保卫战"')
    assert parse_catalogue(text.replace("\n", "\r\n")).ok


def test_many_control_characters_are_listed_then_counted() -> None:
    text = VALID.replace("    title: 打好蓝天保卫战", "    title: " + "\x01" * 50)
    problems = parse_catalogue(text).errors
    assert [p.code for p in problems] == ["control_char"] * 20 + ["control_chars_more"]
    assert problems[-1].params["count"] == 30


def test_control_character_after_crlf_and_in_a_comment() -> None:
    text = "# 注释\x0c\r\nversion: 1\r\n"
    code, line, column, _ = only_error(parse_catalogue(text))
    assert (code, line, column) == ("control_char", 1, 5)


@pytest.mark.parametrize(
    "text",
    ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a\n  b:\n    - c: *a\n", "- &x [1, [2, *x]]\n"],
)
def test_a_recursive_alias_is_refused(text: str) -> None:
    code, line, column, message = only_error(parse_catalogue(text))
    assert code == "recursive_alias"
    assert line is not None and column is not None
    assert "*" in message and "循环" in message


def test_billion_laughs_is_refused_at_the_node_limit() -> None:
    assert len(LAUGHS.encode()) < 400
    code, line, _, message = only_error(parse_catalogue(LAUGHS))
    assert code == "too_many_nodes"
    assert line is not None and line <= 9
    assert f"{LIMITS.max_nodes}" in message


def test_the_node_limit_counts_aliases_at_their_size() -> None:
    """Nine uses of a 3-node list count 27 nodes, not 9: within a limit of 40 it reads, within 30
    it does not (and says which alias it was expanding)."""
    text = "a: &a [1, 2]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    assert read_yaml(text, Limits(max_nodes=40)).marks is not None
    refused = read_yaml(text, Limits(max_nodes=30))
    assert [i.code for i in refused.issues] == ["too_many_nodes"]
    assert refused.issues[0].params == {"limit": 30, "expanding": "a"}
    assert refused.issues[0].line == 2


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "a: " + "{b: " * 50_000 + "c" + "}" * 50_000 + "\n",
        "".join(" " * i + "- \n" for i in range(0, 400, 2)),
        "".join(" " * i + f"k{i}:\n" for i in range(0, 400, 2)),
    ],
    ids=["flow lists", "flow mappings", "block lists", "block mappings"],
)
def test_deep_nesting_is_refused(text: str) -> None:
    code, line, column, message = only_error(parse_catalogue(text))
    assert code == "too_deep"
    assert line is not None and column is not None
    assert "64" in message


def test_the_depth_limit_leaves_the_table_its_own_depth() -> None:
    """The table nests 6 deep; a limit of 6 reads it, 5 does not."""
    assert read_yaml(VALID, Limits(max_depth=6)).marks is not None
    assert [i.code for i in read_yaml(VALID, Limits(max_depth=5)).issues] == ["too_deep"]


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    with path.open("wb") as f:
        f.write(VALID.encode())
        f.write(b"# " + b"x" * (LIMITS.max_bytes + 10) + b"\n")
    result = load_catalogue(path)
    code, line, _, message = only_error(result)
    assert code == "file_too_big" and line is None
    assert str(LIMITS.max_bytes) in message and "未读取" in message
    assert result.text == ""  # not read into memory


def test_text_over_the_size_limit_is_refused() -> None:
    small = Limits(max_bytes=len(VALID.encode()) - 1)
    result = parse_catalogue(VALID, limits=small)
    assert [p.code for p in result.errors] == ["file_too_big"]
    assert parse_catalogue(VALID, limits=Limits(max_bytes=len(VALID.encode()))).ok


def test_load_catalogue_never_raises_on_odd_paths(tmp_path: Path) -> None:
    assert [p.code for p in load_catalogue(tmp_path).errors] == ["file_missing"]  # a directory
    assert [p.code for p in load_catalogue(tmp_path / "none.yaml").errors] == ["file_missing"]
    assert [p.code for p in load_catalogue(str(tmp_path) + "/a\x00b").errors] == ["file_missing"]
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: 标题".encode("gb18030"))
    assert [p.code for p in load_catalogue(bad).errors] == ["file_encoding"]


def test_keys_that_appear_twice_are_still_reported() -> None:
    text = VALID.replace(
        "    lead: 经济发展局\n", "    lead: 经济发展局\n    lead: 生态环境局\n", 1
    )
    result = parse_catalogue(text)
    (dup,) = [p for p in result.errors if p.code == "duplicate_key"]
    assert dup.path == "tasks[0].lead" and dup.params["first_line"] == dup.line - 1


def test_dates_stay_text_until_their_field_reads_them() -> None:
    """The document date is read by the table's rules, not by YAML's timestamp type."""
    result = parse_catalogue(VALID.replace("  date: 2022-03-31", "  date: 2022-02-30"))
    assert [(p.code, p.path) for p in result.errors] == [("bad_date", "document.date")]
    data = read_yaml(VALID).data
    assert data["document"]["date"] == "2022-03-31"


@pytest.mark.skipif(not has_libyaml(), reason="PyYAML without libyaml")
def test_libyaml_and_the_pure_parser_read_the_same() -> None:
    """The fast path gives the same values and the same places as PyYAML's own parser."""
    shipped = (Path(__file__).resolve().parents[2] / "config" / "tasks.yaml").read_text("utf-8")
    for text in (VALID, shipped, VALID.replace("\n", "\r\n")):
        fast, pure = read_yaml(text), read_yaml(text, pure=True)
        assert fast.data == pure.data
        assert fast.marks is not None and pure.marks is not None
        assert _places(fast.marks) == _places(pure.marks)


def _places(mark: object) -> list[tuple[str, int, int]]:
    """Every (path, line, column) below a mark, flattened."""
    out: list[tuple[str, int, int]] = []
    todo: list[tuple[str, object]] = [("", mark)]
    while todo:
        path, m = todo.pop()
        out.append((path, m.line, m.column))  # type: ignore[attr-defined]
        children = m.children  # type: ignore[attr-defined]
        if isinstance(children, dict):
            todo.extend((f"{path}.{k}", c) for k, c in children.items())
        elif isinstance(children, list):
            todo.extend((f"{path}[{i}]", c) for i, c in enumerate(children))
    return sorted(out)
