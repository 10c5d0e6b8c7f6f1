"""Track bookkeeping: handedness vote, duplicate merging, id recovery rules."""

from __future__ import annotations

import numpy as np

from handpose.tracking import Track, TrackBook


def _track(book: TrackBook, box, p_right=0.9, t=0.0) -> Track:
    return book.admit(np.array(box, np.float32), np.zeros(5, np.float32), p_right, t)


def test_handedness_vote_does_not_flicker() -> None:
    tr = Track(1, np.zeros(5), np.zeros(4), 0.0)
    for _ in range(10):
        tr.vote(0.95)
    assert tr.confident_side == "right"
    for _ in range(3):  # a few frames where the model doubts: the label stays
        tr.vote(0.1)
    assert tr.right_mean > 0.5
    for _ in range(40):  # a lasting change wins in the end
        tr.vote(0.05)
    assert tr.right_mean < 0.5


def test_duplicates_keep_the_older_track() -> None:
    book = TrackBook()
    a = _track(book, [100, 100, 200, 200])
    b = _track(book, [105, 102, 205, 199])
    c = _track(book, [400, 100, 500, 200])
    assert (a.id, b.id, c.id) == (1, 2, 3)
    assert [t.id for t in book.merge_duplicates([a, b, c])] == [1, 3]


def test_lost_track_is_revived_only_nearby_same_side_and_in_time() -> None:
    book = TrackBook(id_memory_ms=500)
    a = _track(book, [100, 100, 200, 200], p_right=0.95)
    for _ in range(10):
        a.vote(0.95)
    book.lose(a)
    assert _track(book, [400, 300, 500, 400], t=100).id == 2  # elsewhere: a new hand
    assert _track(book, [110, 100, 210, 200], p_right=0.05, t=100).id == 3  # same place, other hand
    assert _track(book, [110, 100, 210, 200], p_right=0.9, t=100).id == 1  # same place and side: the same hand
    book.lose(a)
    book.expire(1000)
    assert _track(book, [110, 100, 210, 200], t=1000).id == 4  # remembered for 500 ms only
