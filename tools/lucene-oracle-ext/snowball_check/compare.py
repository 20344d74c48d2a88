"""Compares snowballstemmer's stems with Lucene's (stems.json from SnowStem.java), per language.
Usage: python compare.py words.json stems.json  (run with the repo's venv, which has snowballstemmer)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import snowballstemmer


def main() -> None:
    words = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    stems = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    for lang, entry in words.items():
        stemmer = snowballstemmer.stemmer(lang)
        diff = [(w, stemmer.stemWord(w), s) for w, s in zip(entry["words"], stems[lang]) if stemmer.stemWord(w) != s]
        print(f"{lang:13} {entry['java']:11} {len(entry['words']):5} words, {len(diff):5} differ {diff[:2]}")


if __name__ == "__main__":
    main()
