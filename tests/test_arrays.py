"""The array codec's files: checksums by block, checked on first read, and every block by verify()."""

from __future__ import annotations

from pathlib import Path

import pytest

from searcher.index.arrays import POSTINGS_EXT, DamagedSegment, SegmentArrays
from tests.index_support import add_paragraphs, open_index

TEXTS = ["Ngoại giao kinh tế được đẩy mạnh", "Ngoài giao thông, kinh tế vĩ mô", "Đà Nẵng đón khách quốc tế"]


def test_a_flipped_byte_fails_the_checksum(tmp_path: Path) -> None:
    ix = open_index(tmp_path)
    add_paragraphs(ix, TEXTS)
    (segment,) = ix._segments()
    arrays = SegmentArrays(ix.storage, segment)
    arrays.verify()
    path = tmp_path / segment.make_filename(POSTINGS_EXT)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedSegment, match="checksum"):
        SegmentArrays(ix.storage, segment).verify()


def test_a_damaged_block_is_found_before_a_search_uses_it(tmp_path: Path) -> None:
    ix = open_index(tmp_path)
    add_paragraphs(ix, TEXTS * 50)
    (segment,) = ix._segments()
    path = tmp_path / segment.make_filename(POSTINGS_EXT)
    healthy = SegmentArrays(ix.storage, segment)
    docs_offset = healthy._postings._offsets["folded.docs"][0] + healthy._postings.base
    data = bytearray(path.read_bytes())
    data[docs_offset] ^= 0x01  # the first posting of the first folded term
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedSegment, match="checksum"):  # on opening, or at the latest on the first read
        SegmentArrays(ix.storage, segment).fields["folded"].postings(0)
