from mlxk_runtime.text_filters import ReasoningSplitter, StopStringScanner, held_prefix_len


def feed_all(scanner: StopStringScanner, chunks: list[str]) -> tuple[list[str], str | None]:
    out = []
    for chunk in chunks:
        text, match = scanner.feed(chunk)
        if text:
            out.append(text)
        if match:
            return out, match.stop_string
    rest = scanner.flush()
    return out + ([rest] if rest else []), None


def test_held_prefix_len() -> None:
    assert held_prefix_len("abc EN", ["END"]) == 2
    assert held_prefix_len("abc", ["END"]) == 0
    assert held_prefix_len("E", ["END", "xE"]) == 1


def test_stop_split_across_chunks_never_leaks() -> None:
    out, match = feed_all(StopStringScanner(["END-OF-LIST"]), ["blue ", "EN", "D-", "OF", "-LI", "ST and"])
    assert "".join(out) == "blue "
    assert match == "END-OF-LIST"
    assert not any("E" in chunk for chunk in out)


def test_earliest_stop_wins_over_list_order() -> None:
    out, match = feed_all(StopStringScanner(["more", "END"]), ["a END b more"])
    assert "".join(out) == "a "
    assert match == "END"


def test_prefix_released_when_it_cannot_match() -> None:
    out, match = feed_all(StopStringScanner(["END!"]), ["x EN", "D?", " y"])
    assert "".join(out) == "x END? y"
    assert match is None


def test_reasoning_splitter_with_split_markers() -> None:
    s = ReasoningSplitter("<think>", "</think>", in_reasoning=True)
    chunks = []
    for piece in ["I think", " so</th", "ink>", "\n\nAns", "wer"]:
        chunks += s.feed(piece)
    chunks += s.flush()
    reasoning = "".join(t for c, t in chunks if c == "reasoning")
    content = "".join(t for c, t in chunks if c == "content")
    assert reasoning == "I think so"
    assert content == "\n\nAnswer"


def test_reasoning_splitter_opening_marker_in_output() -> None:
    s = ReasoningSplitter("<think>", "</think>", in_reasoning=False)
    chunks = s.feed("<thi") + s.feed("nk>r</think>c") + s.flush()
    assert chunks == [("reasoning", "r"), ("content", "c")]


def test_stray_reasoning_markers_are_dropped_without_switching_channel() -> None:
    splitter = ReasoningSplitter("<think>", "</think>", in_reasoning=True)
    chunks = []
    for piece in ["reason", "ing</th", "ink>\n\nans", "wer</think> more</thi", "nk>!"]:
        chunks += splitter.feed(piece)
    chunks += splitter.flush()
    assert "".join(t for c, t in chunks if c == "reasoning") == "reasoning"
    assert "".join(t for c, t in chunks if c == "content") == "\n\nanswer more!"
    assert all("think>" not in t for _, t in chunks)
