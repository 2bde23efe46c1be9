"""Event labels never overlap, however many events and however close."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from harness.report.marker_labels import ROWS, place_labels

marks = st.lists(
    st.tuples(st.floats(0, 900, allow_nan=False), st.sampled_from(["T", "1", "12", "123"])),
    max_size=300,
).map(sorted)


@given(marks)
def test_labels_in_a_row_never_overlap_and_every_mark_has_one(
    given_marks: list[tuple[float, str]],
) -> None:
    labels = place_labels(given_marks)
    assert sorted(i for label in labels for i in label.members) == list(range(len(given_marks)))
    assert all(0 <= label.row < ROWS for label in labels)
    for row in range(ROWS):
        in_row = sorted((label for label in labels if label.row == row), key=lambda lb: lb.x)
        for left, right in pairwise(in_row):
            assert left.end < right.x, (left, right)


def test_close_marks_take_rows_then_share_a_span_label() -> None:
    same_place = [(100.0, str(i)) for i in range(1, 8)]
    labels = place_labels(same_place)
    assert [label.text for label in labels] == ["1", "2", "3", "4-7"]
    assert [label.row for label in labels] == [0, 1, 2, 3]


def test_marks_far_apart_keep_their_own_labels_in_the_first_row() -> None:
    labels = place_labels([(10.0, "T"), (200.0, "1"), (400.0, "2")])
    assert [(label.text, label.row) for label in labels] == [("T", 0), ("1", 0), ("2", 0)]
