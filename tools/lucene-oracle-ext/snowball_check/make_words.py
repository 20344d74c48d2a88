"""Word lists per Snowball language: random stems plus the suffixes in each algorithm's Among tables
(so every rule fires), and CISI words for English. Usage: python make_words.py CISI.jsonl words.json"""

import importlib
import json
import random
import re
import sys
from pathlib import Path

random.seed(7)
LANGS = {
    "english": "English",
    "porter": "Porter",
    "danish": "Danish",
    "dutch_porter": "Dutch",
    "dutch": "Dutch",
    "finnish": "Finnish",
    "french": "French",
    "german": "German",
    "hungarian": "Hungarian",
    "italian": "Italian",
    "norwegian": "Norwegian",
    "portuguese": "Portuguese",
    "romanian": "Romanian",
    "russian": "Russian",
    "spanish": "Spanish",
    "swedish": "Swedish",
    "turkish": "Turkish",
    "catalan": "Catalan",
    "basque": "Basque",
    "irish": "Irish",
    "lithuanian": "Lithuanian",
    "armenian": "Armenian",
    "arabic": "Arabic",
    "estonian": "Estonian",
}
cisi = []
for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines():
    cisi += re.findall(r"[a-z]+", json.loads(line)["text"].lower())
cisi = sorted(set(cisi))[:3000]
out = {}
for py, java in LANGS.items():
    mod = importlib.import_module(f"snowballstemmer.{py}_stemmer")
    src = Path(mod.__file__).read_text(encoding="utf-8")
    suffixes = sorted(set(re.findall(r'Among\(u?"([^"]*)"', src)) - {""})
    letters = sorted(set("".join(suffixes))) or list("abc")
    words = set()
    bases = ["".join(random.choice(letters) for _ in range(random.randint(2, 7))) for _ in range(150)]
    for b in bases:
        for s in random.sample(suffixes, min(20, len(suffixes))):
            words.add(b + s)
            words.add(b + s + random.choice(suffixes))
    if py in ("english", "porter"):
        words |= set(cisi)
    out[py] = {"java": java, "words": sorted(words)}
Path(sys.argv[2]).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
print({k: len(v["words"]) for k, v in out.items()})
