"""
Request lines for the ranking prompt ("something funny", "by Le Guin", "no romance please"),
synthesized from the target's catalog metadata, with decoys among the negatives.

A request row keeps the user's history and true next item; the line asks for something the target
is (one of its genres, its author, its decade) or is not (a genre it lacks). The candidates change
so the request matters without giving the answer away:
- decoys: popular items (what a recommender likes) that do NOT meet the request replace some
  negatives;
- companions: other items that DO meet the request replace some more, so the request alone leaves
  several candidates and the history must still decide.
SASRec cannot read the line; "SASRec + rules" drops the candidates that fail it (the app's filters do
the same from the parsed message); the fused LLM reads it. The phrasings are the ones the app writes
from a parsed request (server/recommend/llm.ts, requestLine), so training and serving agree.
"""

import csv
import os
import random

# -----------------------------------------------------------------------------
decoys = 4  # negatives replaced by popular items that fail the request
companions = 2  # negatives replaced by other items that meet it
# -----------------------------------------------------------------------------

GENRE_LINES = ["something {g}", "I'm in the mood for {g}", "{g} please"]
AUTHOR_LINES = ["something by {a}", "more by {a}"]
DECADE_LINES = ["something from the {d}s"]
NOT_GENRE_LINES = ["no {g} please", "nothing {g}"]


def genre_words(tag: str) -> str:
    return tag.replace("-", " ")


def catalog_facts(ds, folder):
    """Per row: {"genres": [...], "author": str, "year": int | None} from a catalog's books.csv with a
    `genres` column (demo/goodbooks); None when the dataset has no such metadata."""
    path = os.path.join(folder, "books.csv")
    if not os.path.isfile(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        rows = {r["book_id"]: r for r in csv.DictReader(f)}
    if not rows or "genres" not in next(iter(rows.values())):
        return None
    facts = [None]
    for ext in ds.ext_ids[1:]:
        r = rows.get(ext, {})
        year = r.get("original_publication_year", "")
        facts.append({"genres": [g for g in (r.get("genres") or "").split("|") if g],
                      "author": (r.get("authors") or "").split(",")[0].strip(),
                      "year": int(float(year)) if year not in ("", None) else None})
    return facts


def meets(facts, kind, value):
    """Whether an item's facts satisfy one request."""
    if facts is None:
        return False
    if kind == "genre":
        return value in facts["genres"]
    if kind == "not_genre":
        return value not in facts["genres"]
    if kind == "author":
        return facts["author"] == value
    if kind == "decade":
        return facts["year"] is not None and facts["year"] // 10 * 10 == value
    raise ValueError(kind)


def line_for(kind, value, rng):
    if kind == "genre":
        return rng.choice(GENRE_LINES).format(g=genre_words(value))
    if kind == "not_genre":
        return rng.choice(NOT_GENRE_LINES).format(g=genre_words(value))
    if kind == "author":
        return rng.choice(AUTHOR_LINES).format(a=value)
    return rng.choice(DECADE_LINES).format(d=value)


def synthesize(sample, facts, popular, rng, num_items):
    """(request line, kind, value, new candidates) for one row, or None when the target's facts give no
    request. `popular`: item rows, most popular first (the decoy pool)."""
    from training.prompts import Sample
    t = facts[sample.target]
    if t is None:
        return None
    options = [("genre", g) for g in t["genres"]] + ([("author", t["author"])] if t["author"] else [])
    if t["year"] is not None and t["year"] >= 1900:
        options.append(("decade", t["year"] // 10 * 10))
    lacking = sorted({g for c in sample.candidates if facts[c] for g in facts[c]["genres"]} - set(t["genres"]))
    options += [("not_genre", g) for g in lacking[:3]]
    if not options:
        return None
    kind, value = rng.choice(options)
    seen = set(sample.history) | set(sample.candidates)
    negatives = [c for c in sample.candidates if c != sample.target]
    rng.shuffle(negatives)
    # Decoys: popular items that fail the request; companions: items that meet it.
    decoy_pool = [i for i in popular[:2000] if i not in seen and not meets(facts[i], kind, value)]
    companion_pool = [i for i in popular[:5000] if i not in seen and meets(facts[i], kind, value)]
    new = rng.sample(decoy_pool, min(decoys, len(decoy_pool))) + rng.sample(companion_pool, min(companions, len(companion_pool)))
    negatives = new + negatives[len(new):]
    candidates = negatives[:len(sample.candidates) - 1] + [sample.target]
    rng.shuffle(candidates)
    return line_for(kind, value, rng), kind, value, Sample(list(sample.history), candidates, sample.target)


def request_rows(rows, facts, popular, seed, num_items, share=1.0):
    """Each row, with probability `share`, rewritten with a request: list of (sample, request line or None, kind, value)."""
    rng = random.Random(seed)
    out = []
    for r in rows:
        made = synthesize(r, facts, popular, rng, num_items) if rng.random() < share else None
        out.append((made[3], made[0], made[1], made[2]) if made else (r, None, None, None))
    return out
