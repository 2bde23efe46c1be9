from __future__ import annotations

from pathlib import Path

from harness.images.content_tag import content_tag


def test_tag_changes_with_content_and_build_args_only(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    first = content_tag([tmp_path], {"BASE_IMAGE": "a"})

    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert content_tag([tmp_path], {"BASE_IMAGE": "a"}) == first

    assert content_tag([tmp_path], {"BASE_IMAGE": "b"}) != first
    (tmp_path / "app.py").write_text("print(2)\n")
    assert content_tag([tmp_path], {"BASE_IMAGE": "a"}) != first


def test_renaming_a_file_changes_the_tag(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("same")
    before = content_tag([tmp_path])
    (tmp_path / "a.txt").rename(tmp_path / "b.txt")
    assert content_tag([tmp_path]) != before
