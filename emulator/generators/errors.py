"""Exceptions raised by the generators."""

from __future__ import annotations


class MaskPromptError(Exception):
    """A `maskPrompt` (or VTO `promptBasedMask.maskPrompt`) selected no pixels of the input image.

    The emulator maps it to Bedrock's `400 Bad Request: Unable to auto-generate mask image with given input
    image and mask prompt.` The rule for "selects nothing" is in `emulator.generators.segment`.
    """
