"""What a waiting page hears about its request: the system it waits for now, and only the newest
records once more requests are in flight than the record keeps."""

from __future__ import annotations

from plugin.remote_waits import RemoteWaits


def test_the_oldest_record_goes_first_beyond_the_limit() -> None:
    waits = RemoteWaits(limit=2)
    with waits.tracking(1, "a") as a, waits.tracking(1, "b") as b, waits.tracking(1, "c") as c:
        a("Aderant")
        b("Aderant")
        a("Clio Operate")  # a is now the newest
        c("Aderant")
        assert [waits.system(1, t) for t in "abc"] == ["Clio Operate", None, "Aderant"]
    assert [waits.system(1, t) for t in "abc"] == [None, None, None]
