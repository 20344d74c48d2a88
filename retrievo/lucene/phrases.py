"""Phrase frequencies, exact and sloppy, as Lucene's phrase matchers count them.

Exact: the number of positions where every term sits at its query offset. Sloppy: Lucene's
``SloppyPhraseMatcher`` — repeatedly advance the term with the smallest phrase position, keep the
smallest span, and count each completed window with span ≤ slop as ``1 / (1 + span)`` (float32,
accumulated in float32). See ../shared/spec/lucene-bm25.md §9.
"""

from __future__ import annotations

import heapq

import numpy as np

from retrievo.index.inverted import InvertedField


def term_positions(inv: InvertedField, doc: int, tids: list[int]) -> list[np.ndarray]:
    doc_tids, doc_pos = inv.positions(doc)
    return [doc_pos[doc_tids == t] for t in tids]


def exact_freq(positions: list[np.ndarray], offsets: tuple[int, ...]) -> float:
    starts = positions[0] - offsets[0]
    for pos, off in zip(positions[1:], offsets[1:]):
        starts = np.intersect1d(starts, pos - off, assume_unique=True)
        if starts.size == 0:
            return 0.0
    return float(starts.size)


def sloppy_freq(positions: list[np.ndarray], offsets: tuple[int, ...], slop: int) -> np.float32:
    """Port of the matching loop of Lucene's SloppyPhraseMatcher (no repeated terms)."""
    # Each entry: [phrase position, offset, ordinal, index into that term's positions]
    pps = [[int(p[0]) - off, off, i, 0] for i, (p, off) in enumerate(zip(positions, offsets))]
    end = max(pp[0] for pp in pps)
    heap = [(pp[0], pp[1], pp[2]) for pp in pps]
    heapq.heapify(heap)
    freq = np.float32(0.0)

    def advance(i: int) -> bool:
        nonlocal end
        pp = pps[i]
        pp[3] += 1
        if pp[3] >= positions[i].size:
            return False
        pp[0] = int(positions[i][pp[3]]) - pp[1]
        end = max(end, pp[0])
        return True

    while True:
        _, _, cur = heapq.heappop(heap)
        match_length = end - pps[cur][0]
        nxt = heap[0][0]
        matched = False
        while advance(cur):
            if pps[cur][0] > nxt:
                heapq.heappush(heap, (pps[cur][0], pps[cur][1], cur))
                if match_length <= slop:
                    matched = True
                    break
                _, _, cur = heapq.heappop(heap)
                nxt = heap[0][0]
                match_length = end - pps[cur][0]
            else:
                match_length = min(match_length, end - pps[cur][0])
        if matched:
            freq = np.float32(freq + np.float32(1.0) / (np.float32(1.0) + np.float32(match_length)))
            continue
        if match_length <= slop:
            freq = np.float32(freq + np.float32(1.0) / (np.float32(1.0) + np.float32(match_length)))
        return freq
