"""Joining fpng's PNGs of consecutive strips of a picture into one PNG (`join_strips`), and the deflate
arithmetic it takes (RFC 1950, RFC 1951): Adler-32 combination, and where a dynamic block's end-of-block code
ends.

Why: fpng takes about a fifth less time on strips of 256 rows, whose working set stays in the CPU cache, than
on a whole 1024x1024 picture; in the server bench, a request for a new 1024x1024 image took 21-31% longer
(p50) when the picture was encoded whole.

The join is exact, because of how fpng writes an image: its first row is unfiltered (PNG filter 0) and every
later one refers only to the row above (filter 2) or to the pixel before (a distance-3 or 4 match), never
before the strip's first row, so a strip's bytes decode to the same pixels after any rows at all. Its deflate
data is one block with fpng's fixed dynamic Huffman table, ended by the end-of-block code and zero bits up to
a byte boundary. So for each strip but the last, the final-block bit is cleared and an empty stored block is
added after its end-of-block code, which brings the next strip's block to a byte boundary; the Adler-32 of the
whole is combined from the strips'. A strip fpng could not compress is written as stored blocks, byte-aligned
already: only its final-block bit is cleared. The result is still a pure function of the pixels and the fpng
version; in any other form (none is known), the whole picture is encoded in one piece instead.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import fpng
import numpy as np

STORED_BLOCK = 0
DYNAMIC_BLOCK = 2
ADLER_BASE = 65521
END_OF_BLOCK = 256
# A dynamic block header is at most 3 + 14 + 19 * 3 + 316 * 14 bits (316 code lengths, each a 7-bit code
# and 7 extra bits at most).
MAX_HEADER_BYTES = 600
_CODE_LENGTH_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_HEADER = b"\x78\x01"  # deflate, 32K window, no dictionary (what fpng writes)
# An empty stored block after the end-of-block code: header bits 000 (not final, stored) in the padding
# when at least three padding bits follow the code, else in one more byte; then LEN 0 and NLEN 0xFFFF.
_STORED_EMPTY = b"\x00\x00\xff\xff"
_CHUNK_HEAD = struct.Struct(">I4s")


def join_strips(strips: list[bytes], width: int, channels: int) -> bytes | None:
    """One PNG from fpng's PNGs of consecutive strips of a picture `width` pixels wide with `channels`
    channels (see the module docstring); None if one is not in a form this knows."""
    ihdr = next((data for kind, data in _chunks(strips[0]) if kind == b"IHDR"), None)
    if ihdr is None:
        return None
    pieces: list[bytes | memoryview] = [ZLIB_HEADER]
    adler, height = 1, 0
    for index, png in enumerate(strips):
        stream = _zlib_stream(png)
        if stream[:2] != ZLIB_HEADER or len(stream) < 7:
            return None
        deflate = memoryview(stream)[2:-4]
        body = [deflate] if index == len(strips) - 1 else _not_final(deflate, channels)
        if body is None:
            return None
        pieces += body
        rows = _height(png)
        adler = adler32_combine(adler, int.from_bytes(stream[-4:], "big"), rows * (1 + width * channels))
        height += rows
    pieces.append(adler.to_bytes(4, "big"))
    crc = zlib.crc32(b"IDAT")
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    full_ihdr = bytes(ihdr[:4]) + height.to_bytes(4, "big") + bytes(ihdr[8:])
    return b"".join(
        [
            PNG_SIGNATURE,
            _chunk(b"IHDR", full_ihdr),
            _CHUNK_HEAD.pack(sum(len(piece) for piece in pieces), b"IDAT"),
            *pieces,
            crc.to_bytes(4, "big"),
            _chunk(b"IEND", b""),
        ]
    )


def _not_final(deflate: memoryview, channels: int) -> list[bytes | memoryview] | None:
    """A strip's deflate data rewritten to go on after its end: final-block bit cleared, ending on a byte
    boundary. fpng writes one dynamic block, or stored blocks when the strip does not compress."""
    kind = (deflate[0] >> 1) & 3
    if kind == DYNAMIC_BLOCK:
        table = _table(deflate, channels)
        padding = end_padding_bits(deflate, table) if table is not None else None
        if padding is None:
            return None
        tail = _STORED_EMPTY if padding >= 3 else b"\x00" + _STORED_EMPTY
        return [bytes([deflate[0] & 0xFE]), deflate[1:], tail]
    if kind == STORED_BLOCK:
        last = last_stored_block(deflate)
        if last is None:
            return None
        return [deflate[:last], bytes([deflate[last] & 0xFE]), deflate[last + 1 :]]
    return None


def _table(deflate: memoryview, channels: int) -> BlockTable | None:
    """The Huffman table of a strip's block: fpng's usual one, recognised by its header bytes, or parsed."""
    usual = _fpng_table(channels)
    if usual is not None and deflate[: len(usual.header)] == usual.header:
        return usual
    return block_table(bytes(deflate[:MAX_HEADER_BYTES]))


@functools.cache
def _fpng_table(channels: int) -> BlockTable | None:
    """The fixed table fpng writes for every image with this many channels (read off a small one)."""
    stream = _zlib_stream(fpng.from_ndarray(np.zeros((16, 16, channels), dtype=np.uint8)))
    return block_table(stream[2 : 2 + MAX_HEADER_BYTES])


def _zlib_stream(png: bytes) -> bytes:
    """The zlib stream of a PNG: its IDAT chunks' data, in order."""
    return b"".join(data for kind, data in _chunks(png) if kind == b"IDAT")


def _chunks(png: bytes) -> Iterator[tuple[bytes, memoryview]]:
    view, pos = memoryview(png), len(PNG_SIGNATURE)
    while pos + 12 <= len(png):
        length, kind = _CHUNK_HEAD.unpack_from(png, pos)
        yield kind, view[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _height(png: bytes) -> int:
    return int.from_bytes(png[20:24], "big")  # IHDR is first: signature, length, type, width, height


def _chunk(kind: bytes, data: bytes) -> bytes:
    return _CHUNK_HEAD.pack(len(data), kind) + data + zlib.crc32(kind + data).to_bytes(4, "big")


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of A + B from those of A and B and the length of B (zlib's adler32_combine)."""
    rem = second_length % ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % ADLER_BASE
    sum1 = (sum1 + (second & 0xFFFF) + ADLER_BASE - 1) % ADLER_BASE
    sum2 = (sum2 + (first >> 16) + (second >> 16) + ADLER_BASE - rem) % ADLER_BASE
    return sum1 | (sum2 << 16)


@dataclass(frozen=True)
class BlockTable:
    """What joining needs of a dynamic block's Huffman table."""

    header: bytes  # the block header's whole bytes (a last, partly used byte excluded)
    end_code: int  # the end-of-block code as sent: its first bit lowest
    end_length: int


def block_table(head: bytes) -> BlockTable | None:
    """The table of the dynamic block starting `head` (its first `MAX_HEADER_BYTES` bytes, or all of it);
    None if `head` does not start with a dynamic block header."""
    parsed = _parse_dynamic_header(head)
    if parsed is None:
        return None
    header_bits, lengths = parsed
    code = _canonical_codes(lengths).get(END_OF_BLOCK)
    if code is None:
        return None
    value, length = code
    return BlockTable(head[: header_bits // 8], int(format(value, f"0{length}b")[::-1], 2), length)


def last_stored_block(deflate: memoryview | bytes) -> int | None:
    """Where the header byte of the final block sits in data made only of stored blocks (as fpng writes
    them: each header on a byte of its own); None if the data is not that."""
    pos = 0
    while pos + 5 <= len(deflate):
        header = deflate[pos]
        if (header >> 1) & 3 != STORED_BLOCK:
            return None
        length = deflate[pos + 1] | deflate[pos + 2] << 8
        if deflate[pos + 3] | deflate[pos + 4] << 8 != length ^ 0xFFFF:
            return None
        if header & 1:
            return pos if pos + 5 + length == len(deflate) else None
        pos += 5 + length
    return None


def end_padding_bits(deflate: memoryview | bytes, table: BlockTable) -> int | None:
    """How many zero bits pad the last byte of a block that ends with `table`'s end-of-block code. None
    unless exactly one count fits (then the caller does not join)."""
    tail = int.from_bytes(deflate[-3:], "little")  # stream bit k of these 24 is bit k of `tail`
    mask, length = (1 << table.end_length) - 1, table.end_length
    fits = [
        padding
        for padding in range(8)
        if tail >> (24 - padding) == 0 and (tail >> (24 - padding - length)) & mask == table.end_code
    ]
    return fits[0] if len(fits) == 1 else None


class _Bits:
    """Reads a deflate stream's bits, first bit lowest (RFC 1951 §3.1.1)."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "little")
        self.size = 8 * len(data)
        self.pos = 0

    def take(self, count: int) -> int:
        value = (self._value >> self.pos) & ((1 << count) - 1)
        self.pos += count
        return value

    def symbol(self, decode: dict[tuple[int, int], int]) -> int | None:
        """One Huffman-coded symbol (codes are sent first bit highest)."""
        code = 0
        for length in range(1, 16):
            code = (code << 1) | self.take(1)
            symbol = decode.get((length, code))
            if symbol is not None:
                return symbol
        return None


def _parse_dynamic_header(head: bytes) -> tuple[int, list[int]] | None:
    """(bits the header takes, literal/length code lengths) of the dynamic block starting `head`."""
    bits = _Bits(head)
    if bits.take(3) >> 1 != DYNAMIC_BLOCK:
        return None
    literals, distances, code_lengths = bits.take(5) + 257, bits.take(5) + 1, bits.take(4) + 4
    cl_lengths = [0] * 19
    for code_length_symbol in _CODE_LENGTH_ORDER[:code_lengths]:
        cl_lengths[code_length_symbol] = bits.take(3)
    decode = _decoder(cl_lengths)
    lengths: list[int] = []
    while len(lengths) < literals + distances:
        symbol = bits.symbol(decode)
        if symbol is None or bits.pos > bits.size:
            return None
        if symbol < 16:
            lengths.append(symbol)
        elif symbol == 16 and lengths:
            lengths += [lengths[-1]] * (3 + bits.take(2))
        elif symbol == 17:
            lengths += [0] * (3 + bits.take(3))
        elif symbol == 18:
            lengths += [0] * (11 + bits.take(7))
        else:
            return None
    return bits.pos, lengths[:literals]


def _decoder(lengths: list[int]) -> dict[tuple[int, int], int]:
    codes = _canonical_codes(lengths)
    return {(length, value): symbol for symbol, (value, length) in codes.items()}


def _canonical_codes(lengths: list[int]) -> dict[int, tuple[int, int]]:
    """Symbol → (code, length) of the canonical Huffman code with these code lengths (RFC 1951 §3.2.2)."""
    longest = max(lengths, default=0)
    counts = [0] * (longest + 1)
    for length in lengths:
        if length:
            counts[length] += 1
    next_code, code = [0] * (longest + 1), 0
    for bits in range(1, longest + 1):
        code = (code + counts[bits - 1]) << 1
        next_code[bits] = code
    codes: dict[int, tuple[int, int]] = {}
    for symbol, length in enumerate(lengths):
        if length:
            codes[symbol] = (next_code[length], length)
            next_code[length] += 1
    return codes
