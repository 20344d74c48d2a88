"""600 random query_string texts built from syntax fragments (seeded): the cases of ParseOracle.java."""

import json
import random

ATOMS = [
    "foo", "bar", "f:", "title:", "AND", "OR", "NOT", "&&", "||", "!", "+", "-", "(", ")", '"x y"', '"a"~2', "*",
    "?", "ab*", "a?c", "te*t", "/re.*/", "[a TO b]", "{a TO *]", "[* TO 5]", "^2", "^0.5", "~", "~1", "~2", "\\:",
    "\\ ", "a\\-b", ":", " ", "  ", "_exists_:", "x", ">5", "<=3", "[", "]", "{", "}", '"', "^", "TO", "*:*",
    "foo^3", "(a b)", '"un', "\\",
]

random.seed(7)
cases: set[str] = set()
while len(cases) < 600:
    n = random.randint(1, 6)
    q = "".join(random.choice(ATOMS) + (" " if random.random() < 0.6 else "") for _ in range(n)).strip()
    if q:
        cases.add(q)
for q in sorted(cases):
    print(json.dumps(q))
