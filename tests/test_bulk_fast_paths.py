"""The bulk indexing shortcuts (issue 18 item 4) give what the general paths give.

* ASCII text of letters, digits and whitespace is split rather than matched by the regex
  (``standard_tokenizer._ascii_terms``): checked against the automaton (``scan``, the reference
  implementation) on text built from the characters that decide the ASCII rules, every ASCII
  whitespace included;
* NDJSON lines that are one plain JSON value are read by the decoder's scanner directly
  (``bulk._plain_line``): every other line, errors included, still reads as ``xcontent.loads`` has it;
* pending token ids are packed with ``struct`` (``inverted._extend_ints``): the snapshot equals the
  one a writer holding plain lists builds.
"""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest
from elasticsearch import ApiError

from retrievo import Engine
from retrievo.bulk import _lines
from retrievo.index.analysis import standard_tokenizer as std
from retrievo.index.inverted import InvertedFieldWriter

# letters, digits, the mid characters of the ASCII rules, '_', other punctuation and every character
# str.split treats as whitespace in ASCII (\x1c-\x1f too)
_ALPHABET = "aZ9_.:',;-!\"? \t\n\v\f\r\x1c\x1d\x1e\x1f\x00"
_CLEAN = "aZ9 \t\n\v\f\r\x1c\x1d\x1e\x1f"


def _reference(text: str, max_len: int, lower: bool) -> list[str]:
    source = text.lower() if lower else text
    return [source[s:e] for s, e, _ in std.scan(text, max_len)]


@pytest.mark.parametrize("seed", range(4))
def test_ascii_word_path_equals_automaton(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(3000):
        alphabet = _CLEAN if rnd.random() < 0.5 else _ALPHABET  # half of them take the split path
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
        for max_len in (255, 4):
            for lower in (True, False):
                assert std.fast_terms(text, max_len, lower) == _reference(text, max_len, lower), repr(text)


def test_ascii_words_hand_checked() -> None:
    text = "The U.S. don't\tx_y 3.14 1,000 A1b2\x1cwi-fi __init__ end."
    expected = ["the", "u.s", "don't", "x_y", "3.14", "1,000", "a1b2", "wi", "fi", "__init__", "end"]
    assert std.fast_terms(text) == expected
    assert std.fast_terms("alpha beta\ngamma") == ["alpha", "beta", "gamma"]
    assert std.fast_terms("x" * 300 + " yz") == ["x" * 255, "x" * 45, "yz"]  # the scanner window cuts it


_BULK_CASES = [
    b'{"index":{"_index":"t","_id":"1"}}\n  {"text":"padded line"}  \n',
    b'\t{"index":{"_index":"t","_id":"2"}}\t\n{"text":"tabbed"}\n\n\n',
    b'{"index":{"_index":"t","_id":"3"}}\n{"text":"\\ud800 lone"}\n',
    b'{"index":{"_index":"t","_id":"4"}}\n{"text":"\xff bad"}\n',
    b'{"index":{"_index":"t","_id":"5"}}\n{"text":"ok","n":12345678901234567890123}\n',
    b'{"index":{"_index":"t"}}\n' + b"[" * 1001 + b"]" * 1001 + b"\n",
    b'{"index":{"_index":"t","_id":"7"}}\n{"text":"x"} junk\n',
]


def test_lines_equal_exact_path() -> None:
    from retrievo import xcontent
    from retrievo.errors import ApiError as RetrievoError

    for raw in _BULK_CASES[:-1]:
        expected = []
        for line in raw.splitlines():
            if line.strip():
                try:
                    expected.append(xcontent.loads(line))
                except RetrievoError as err:
                    expected.append(err.body)
        got = [v.body if isinstance(v, RetrievoError) else v for v in _lines(raw)]
        assert got == expected


def test_bulk_outcomes_through_the_client() -> None:
    e = Engine()
    e.indices.create(index="t", mappings={"properties": {"text": {"type": "text"}, "n": {"type": "long"}}})

    def statuses(raw: bytes) -> list[tuple[int, str | None]]:
        items = e.bulk(operations=raw)["items"]  # type: ignore[arg-type]  # NDJSON text, as the client allows
        return [(it["index"]["status"], (it["index"].get("error") or {}).get("reason")) for it in items]

    assert statuses(_BULK_CASES[0]) == [(201, None)]
    assert statuses(_BULK_CASES[1]) == [(201, None)]
    assert statuses(_BULK_CASES[2]) == [(201, None)]
    assert statuses(_BULK_CASES[3]) == [(400, "[1:10] failed to parse: Invalid UTF-8 start byte 0xff")]
    assert statuses(_BULK_CASES[4]) == [
        (
            400,
            "[1:18] failed to parse field [n] of type [long] in document with id '5'. "
            "Preview of field's value: '12345678901234567890123'",
        )
    ]
    deep = statuses(_BULK_CASES[5])
    assert deep[0][0] == 400 and "nesting depth (1001) exceeds the maximum allowed (1000" in str(deep[0][1])
    with pytest.raises(ApiError) as err:
        e.bulk(operations=_BULK_CASES[6])  # type: ignore[arg-type]
    assert err.value.meta.status == 400
    assert err.value.body["error"]["type"] == "x_content_parse_exception"
    assert err.value.body["error"]["reason"] == "[2:14] Malformed content, Extra data"
    e.indices.refresh(index="t")
    hits = e.search(index="t", query={"match": {"text": "padded tabbed lone"}})["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == ["1", "2", "3"]


def _snapshot_arrays(writer: InvertedFieldWriter, docs: list[tuple[list[str], list[int]]]) -> list[np.ndarray]:
    for doc, (terms, positions) in enumerate(docs):
        writer.add(doc, terms, positions)
    snap = writer.refresh(len(docs), np.ones(len(docs), dtype=bool), False)
    return [snap.offsets, snap.docs, snap.freqs, snap.fwd_offsets, snap.fwd_tids, snap.fwd_pos]


def test_packed_token_ids_equal_list_buffers() -> None:
    rnd = random.Random(7)
    words = [f"w{i}" for i in range(300)]
    docs = []
    for n in (0, 1, 5, 120, 4096, 4097, 9000, 3):
        terms = [rnd.choice(words) for _ in range(n)]
        docs.append((terms, list(range(n))))
    docs.append((["a", "b", "c"], [0, 2, 2]))  # explicit positions from here on
    packed = _snapshot_arrays(InvertedFieldWriter("f"), docs)
    listed = InvertedFieldWriter("f")
    listed.pending_tids = []  # as a writer loaded from an older save holds them
    listed.pending_fwd_tids = []
    plain = _snapshot_arrays(listed, docs)
    for a, b in zip(packed, plain):
        assert np.array_equal(a, b)
    assert isinstance(InvertedFieldWriter("f").pending_fwd_tids, array)
