"""Integers longer than Python's `int()` accepts, read in linear time (docs/CONTRACT.md §7.1).

Python refuses `int()` of more than `sys.int_max_str_digits` digits (4300 by default) because the conversion
is quadratic: one 25,000,000-digit number (a body at the size cap) would take hours, and 1,000,000 digits
already take about 26 s. Raising the limit is process-wide, so it is left alone. Java's `BigInteger`, which
Bedrock's validator uses, has no such limit, and such a number is an integer that fails on range.

So the number is never converted. `parse_integer` returns a `LongDigits`: an `int` whose value is a stand-in,
+-2**64, past every limit in the spec (2**31 at most) and outside Java's `long`, so type names
(`BigInteger`), type checks and range checks all come out as for the real value, whose magnitude is at least
10**4300 (JSON forbids leading zeros). `str`, `repr` and `format` give the digits as written, which is how
Java prints a `BigInteger`. Arithmetic would use the stand-in; no request using the value is valid except
with it as an ignored Nova `width`/`height`, which the typed request drops.

This is the one piece of the parser that is not plain `json`: without it a hostile body costs minutes of CPU.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Self

_STAND_IN: Final = 2**64
_INT_DIGITS: Final = 4300  # Python's default int_max_str_digits; an int() this long takes microseconds
# 602 decimal digits at most: str() prints that under any sys.int_max_str_digits (the lowest allowed is 640).
_PRINTABLE_BITS: Final = 2_000


class LongDigits(int):
    """An integer too long for `int()`: it prints as its digits and compares as a stand-in of its sign."""

    digits: str

    def __new__(cls, digits: str) -> Self:
        self = super().__new__(cls, -_STAND_IN if digits.startswith("-") else _STAND_IN)
        self.digits = digits
        return self

    def __str__(self) -> str:
        return self.digits

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return self.digits if not spec else format(self.digits, spec)

    def __getnewargs__(self) -> tuple[str]:  # type: ignore[override]  # copy and pickle rebuild from the digits
        return (self.digits,)


def parse_integer(text: str) -> int:
    """A JSON integer token as an `int`, of any length (a `LongDigits` past what `int()` reads)."""
    if len(text) <= _INT_DIGITS:
        try:
            return int(text)
        except ValueError:  # the host lowered sys.int_max_str_digits
            pass
    return LongDigits(text)


def printable_integer(value: int) -> int:
    """`value`, or a `LongDigits` of it when `str(value)` could be refused (a caller's own huge int)."""
    if type(value) is int and value.bit_length() > _PRINTABLE_BITS:
        return LongDigits(str(Decimal(value)))  # Decimal prints it in decimal, whatever the int limit
    return value
