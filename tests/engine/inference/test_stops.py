from engine.inference.stops import StopMatcher


def test_holds_back_partial_stop_and_cuts_at_match() -> None:
    m = StopMatcher(("###",))
    assert m.feed("hello #") == "hello "
    assert m.feed("#") == ""
    assert m.feed("# rest") == ""
    assert m.stopped


def test_releases_false_alarm() -> None:
    m = StopMatcher(("END",))
    assert m.feed("the E") == "the "
    assert m.feed("nd") == "End"
    assert m.flush() == ""
    assert not m.stopped


def test_no_stops_passthrough() -> None:
    m = StopMatcher(())
    assert m.feed("abc") == "abc"
