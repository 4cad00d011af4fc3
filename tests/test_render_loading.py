"""Reading render inputs: files, directories, multi-document YAML, context values."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from scripts.render.errors import RenderError
from scripts.render.loading import (
    load_credentials,
    load_functions,
    load_required,
    parse_context,
    read_one,
    read_stream,
    split_pair,
)

FN = """apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: {name}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_multi_document_file_skips_empty_documents(tmp_path):
    f = write(tmp_path / "s.yaml", "---\na: 1\n---\n---\nb: 2\n...\n")
    assert read_stream(f) == [{"a": 1}, {"b": 2}]


def test_directory_is_read_sorted_and_non_recursive(tmp_path):
    write(tmp_path / "b.yml", "n: b\n")
    write(tmp_path / "a.yaml", "n: a\n---\nn: a2\n")
    write(tmp_path / "c.json", '{"n": "c"}')
    write(tmp_path / "notes.txt", "n: ignored\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "d.yaml", "n: nested\n")
    assert [d["n"] for d in read_stream(tmp_path)] == ["a", "a2", "b", "c"]


def test_timestamps_stay_strings_and_keys_become_strings(tmp_path):
    f = write(tmp_path / "x.yaml", "t: 2024-01-01T00:00:00Z\nd: 2024-01-01\n2: two\ntrue: yes\n")
    assert read_stream(f) == [
        {"t": "2024-01-01T00:00:00Z", "d": "2024-01-01", "2": "two", "true": True}
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "missing.yaml", "missing.yaml: no such file or directory"),
        (lambda p: write(p / "bad.yaml", "a: [1\n"), r"cannot parse YAML in .*bad.yaml \(line"),
        (lambda p: write(p / "list.yaml", "- 1\n- 2\n"), "document 1 is not a mapping"),
        (
            lambda p: (
                write(p / "bin.yaml", "")
                and (p / "bin.yaml").write_bytes(b"\xff\xfe\x00")
                and p / "bin.yaml"
            ),
            "cannot read",
        ),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no YAML files found in"),
    ],
)
def test_unreadable_inputs_are_one_clear_error(tmp_path, setup, message):
    with pytest.raises(RenderError, match=message):
        read_stream(setup(tmp_path))


def test_read_one_wants_exactly_one_document(tmp_path):
    assert read_one(write(tmp_path / "one.yaml", "a: 1\n"), "XR") == {"a": 1}
    with pytest.raises(RenderError, match="expected exactly one XR document, found 2"):
        read_one(write(tmp_path / "two.yaml", "a: 1\n---\nb: 2\n"), "XR")
    with pytest.raises(RenderError, match="found 0"):
        read_one(write(tmp_path / "none.yaml", "# nothing\n"), "XR")


def test_functions_file_or_directory(tmp_path):
    write(tmp_path / "a.yaml", FN.format(name="a") + "---\n" + FN.format(name="b"))
    write(tmp_path / "c.yaml", FN.format(name="c").replace("/v1", "/v1beta1"))
    assert [f["metadata"]["name"] for f in load_functions(tmp_path)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n", "not a function: ConfigMap/cm"),
        ("apiVersion: pkg.crossplane.io/v1\nkind: Function\n", "a Function has no metadata.name"),
    ],
)
def test_bad_functions(tmp_path, text, message):
    with pytest.raises(RenderError, match=message):
        load_functions(write(tmp_path / "f.yaml", text))


def test_required_resources_from_several_paths(tmp_path):
    a = write(tmp_path / "a.yaml", "n: 1\n")
    b = write(tmp_path / "b.yaml", "n: 2\n---\nn: 3\n")
    assert [d["n"] for d in load_required([a, b])] == [1, 2, 3]


def test_credentials_must_be_secrets_with_base64_data(tmp_path):
    ok = base64.b64encode(b"v").decode()
    good = write(
        tmp_path / "s.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{k: {ok}}}\n",
    )
    assert load_credentials(good)[0]["metadata"]["name"] == "s"
    bad = write(
        tmp_path / "b.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '***'}\n"
    )
    with pytest.raises(RenderError, match=r"Secret/s: data.k is not valid base64"):
        load_credentials(bad)
    cm = write(tmp_path / "c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    with pytest.raises(RenderError, match="not a Secret: ConfigMap/c"):
        load_credentials(cm)


def test_context_values_override_files_and_parse_json(tmp_path):
    f = write(tmp_path / "env.json", '{"from": "file"}')
    g = write(tmp_path / "other.yaml", "a: 1\n")
    ctx = parse_context(
        [
            'apiextensions.crossplane.io/environment={"from": "value", "n": 2}',
            "plain=3",
            'eq={"x": "a=b"}',
        ],
        [f"apiextensions.crossplane.io/environment={f}", f"other={g}"],
    )
    assert ctx == {
        "apiextensions.crossplane.io/environment": {"from": "value", "n": 2},
        "plain": 3,
        "eq": {"x": "a=b"},
        "other": {"a": 1},
    }


@pytest.mark.parametrize(
    ("values", "files", "message"),
    [
        (["k={bad"], [], "cannot parse YAML in --context-values k"),
        ([], ["k=/nonexistent/file.json"], "cannot read /nonexistent/file.json"),
    ],
)
def test_bad_context_is_a_clear_error(values, files, message):
    with pytest.raises(RenderError, match=message):
        parse_context(values, files)


@pytest.mark.parametrize("text", ["novalue", "=x", ""])
def test_split_pair_rejects_malformed_pairs(text):
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        split_pair(text)
