"""The classic Porter stemmer as Lucene's ``PorterStemFilter`` runs it.

Lucene ships Martin Porter's "release 3" reference version, which departs from the 1980 paper in a
few places that change real terms, so a textbook implementation (or NLTK's default mode) does not
match ES's ``english`` analyzer:

* step 2 (paper numbering) maps ``-bli`` to ``-ble`` instead of ``-abli`` to ``-able``, and has an
  extra rule ``-logi`` to ``-log``;
* words of at most two UTF-16 units are returned untouched;
* the measure ``m`` and the consonant test look at raw characters: anything other than a, e, i,
  o, u (and y after a consonant) is a consonant, including digits, apostrophes and capitals;
* it works on UTF-16 code units, so a supplementary character counts as two consonants.

The implementation below is written from the algorithm's description; names mirror the paper.
"""

from __future__ import annotations

_VOWELS = frozenset("aeiou")


def _cons_at(b: list[str], i: int) -> bool:
    ch = b[i]
    if ch in _VOWELS:
        return False
    if ch != "y":
        return True
    # y: consonant at the start or after a vowel; alternate through runs of y's
    run = 0
    while i - run > 0 and b[i - run - 1] == "y":
        run += 1
    first = i - run
    first_is_cons = first == 0 or not _cons_at(b, first - 1)
    return first_is_cons if run % 2 == 0 else not first_is_cons


class _Word:
    """Mutable word buffer plus the two cursors the algorithm is phrased in.

    ``k`` is the index of the last character of the current word, ``j`` the last character of the
    stem left when the most recently *successful* suffix test removed its suffix; several rules
    read ``j`` after an unrelated test has failed, so it must persist exactly like that.
    """

    __slots__ = ("b", "k", "j")

    def __init__(self, word: str) -> None:
        self.b = list(word)
        self.k = len(word) - 1
        self.j = 0

    def cons(self, i: int) -> bool:
        return _cons_at(self.b, i)

    def m(self) -> int:
        """Number of vowel->consonant transitions in b[0..j] (the paper's measure)."""
        n = 0
        prev_vowel = False
        for i in range(self.j + 1):
            c = self.cons(i)
            if c and prev_vowel:
                n += 1
            prev_vowel = not c
        return n

    def vowel_in_stem(self) -> bool:
        return any(not self.cons(i) for i in range(self.j + 1))

    def double_cons(self, i: int) -> bool:
        return i >= 1 and self.b[i] == self.b[i - 1] and self.cons(i)

    def cvc(self, i: int) -> bool:
        """consonant-vowel-consonant ending at i, the last consonant not w, x or y."""
        if i < 2 or not self.cons(i) or self.cons(i - 1) or not self.cons(i - 2):
            return False
        return self.b[i] not in ("w", "x", "y")

    def ends(self, suffix: str) -> bool:
        n = len(suffix)
        start = self.k - n + 1
        if start < 0 or "".join(self.b[start : self.k + 1]) != suffix:
            return False
        self.j = self.k - n
        return True

    def set_to(self, s: str) -> None:
        self.b[self.j + 1 :] = list(s)
        self.k = self.j + len(s)

    def replace_if_measure(self, s: str) -> None:
        if self.m() > 0:
            self.set_to(s)

    def text(self) -> str:
        return "".join(self.b[: self.k + 1])


def _step1ab(w: _Word) -> None:
    """Plurals and -ed/-ing (paper steps 1a and 1b)."""
    b = w.b
    if b[w.k] == "s":
        if w.ends("sses"):
            w.k -= 2
        elif w.ends("ies"):
            w.set_to("i")
        elif b[w.k - 1] != "s":
            w.k -= 1
    if w.ends("eed"):
        if w.m() > 0:
            w.k -= 1
    elif (w.ends("ed") or w.ends("ing")) and w.vowel_in_stem():
        w.k = w.j
        if w.ends("at"):
            w.set_to("ate")
        elif w.ends("bl"):
            w.set_to("ble")
        elif w.ends("iz"):
            w.set_to("ize")
        elif w.double_cons(w.k):
            if w.b[w.k] not in ("l", "s", "z"):
                w.k -= 1
        elif w.m() == 1 and w.cvc(w.k):
            w.set_to("e")


def _step1c(w: _Word) -> None:
    """Terminal y -> i when the stem has a vowel."""
    if w.ends("y") and w.vowel_in_stem():
        w.b[w.k] = "i"


# Paper step 2, keyed by the penultimate letter as in the reference implementation (which stops
# at the first suffix that matches in the bucket, whether or not the measure allows the rewrite).
_STEP2: dict[str, tuple[tuple[str, str], ...]] = {
    "a": (("ational", "ate"), ("tional", "tion")),
    "c": (("enci", "ence"), ("anci", "ance")),
    "e": (("izer", "ize"),),
    "l": (("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")),
    "o": (("ization", "ize"), ("ation", "ate"), ("ator", "ate")),
    "s": (("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")),
    "t": (("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")),
    "g": (("logi", "log"),),
}

# Paper step 3, keyed by the last letter.
_STEP3: dict[str, tuple[tuple[str, str], ...]] = {
    "e": (("icate", "ic"), ("ative", ""), ("alize", "al")),
    "i": (("iciti", "ic"),),
    "l": (("ical", "ic"), ("ful", "")),
    "s": (("ness", ""),),
}

# Paper step 4 (suffixes removed when m > 1), keyed by the penultimate letter.
_STEP4: dict[str, tuple[str, ...]] = {
    "a": ("al",),
    "c": ("ance", "ence"),
    "e": ("er",),
    "i": ("ic",),
    "l": ("able", "ible"),
    "n": ("ant", "ement", "ment", "ent"),
    "o": ("ion", "ou"),
    "s": ("ism",),
    "t": ("ate", "iti"),
    "u": ("ous",),
    "v": ("ive",),
    "z": ("ize",),
}


def _rewrite(w: _Word, rules: tuple[tuple[str, str], ...]) -> None:
    for suffix, replacement in rules:
        if w.ends(suffix):
            w.replace_if_measure(replacement)
            return


def _step2(w: _Word) -> None:
    if w.k == 0:
        return
    rules = _STEP2.get(w.b[w.k - 1])
    if rules:
        _rewrite(w, rules)


def _step3(w: _Word) -> None:
    rules = _STEP3.get(w.b[w.k])
    if rules:
        _rewrite(w, rules)


def _step4(w: _Word) -> None:
    if w.k == 0:
        return
    suffixes = _STEP4.get(w.b[w.k - 1])
    if not suffixes:
        return
    for suffix in suffixes:
        if w.ends(suffix):
            if suffix == "ion" and not (w.j >= 0 and w.b[w.j] in ("s", "t")):
                continue  # -ion only after s or t; then "ou" may still match (it cannot here)
            if w.m() > 1:
                w.k = w.j
            return


def _step5(w: _Word) -> None:
    """Final -e and -ll (paper steps 5a and 5b)."""
    w.j = w.k
    if w.b[w.k] == "e":
        a = w.m()
        if a > 1 or (a == 1 and not w.cvc(w.k - 1)):
            w.k -= 1
    if w.b[w.k] == "l" and w.double_cons(w.k) and w.m() > 1:
        w.k -= 1


def _to_utf16_units(word: str) -> str:
    """Spell supplementary characters as surrogate pairs, since Lucene stems UTF-16 chars."""
    data = word.encode("utf-16-le", "surrogatepass")
    return "".join(chr(data[i] | (data[i + 1] << 8)) for i in range(0, len(data), 2))


def porter_stem(word: str) -> str:
    """Stem one token exactly like Lucene's PorterStemFilter (no lowercasing, no exceptions)."""
    astral = not word.isascii() and max(word) > "\uffff"
    units = _to_utf16_units(word) if astral else word
    if len(units) <= 2:
        return word
    w = _Word(units)
    _step1ab(w)
    _step1c(w)
    _step2(w)
    _step3(w)
    _step4(w)
    _step5(w)
    out = w.text()
    if astral:
        out = out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return out
