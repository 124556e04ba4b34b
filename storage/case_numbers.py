"""Case numbers as a search key: one spelling for every way a keyboard can type a number.

A Chinese input method types `（２０２６）湘０４民初１２３号` where a form printed
`(2026)湘04民初123号`, and clerks also write 〔2026〕 or [2026] and put spaces in. The
number is kept as typed for display; `number_key` is what equality and "contains" compare.
"""

from __future__ import annotations

import re
import unicodedata

# NFKC folds full-width forms (（）［］０-９Ａ-Ｚ) to ASCII; these brackets it leaves alone.
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "【": "(", "】": ")"})
_SPACES = re.compile(r"\s+")


def normalize(number: str) -> str:
    """The search key of a case number (or of a piece of one typed into a search box)."""
    folded = unicodedata.normalize("NFKC", number).translate(_BRACKETS).casefold()
    return _SPACES.sub("", folded)
