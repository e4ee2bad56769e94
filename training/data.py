"""
Datasets in LLaRA's format: rows of (history of up to 10 items, oldest first; the true next item;
20 candidates = the next item + 19 drawn uniformly from items not in the history, shuffled with a
fixed seed). Rows whose history is shorter than 3 are dropped (as LLaRA does).

Items are numbered by row: 1..N, row 0 = padding (the same rows as SASRec's embedding table and
item_embeddings.f32). LLaRA's own 0-based ids map to row = id + 1.

    python -m training.data --dataset movielens          # summary of one dataset
    python -m training.data convert --interactions export.jsonl --items items.jsonl --out data/app

Sources (../shared/data, see its README for terms):
- lastfm: LLaRA's exact files (train.jsonl, val.jsonl, id2name.txt). No test split is given: the
  figures use val, as LLaRA's README does for LastFM.
- movielens: LLaRA's val.jsonl / test.jsonl as given. LLaRA's training file is not published, so
  training rows are rebuilt from u.data: each val/test row is matched to its user (the set of
  (item, rating) pairs of history + next occurs in exactly one user; checked); those users are left
  out; every other user's ratings are ordered by (timestamp, line in u.data) and each position k >= 3
  gives a row with history = the previous min(k, 10) items and next = item k. u.data rows whose
  user is not in u.user (three rows of user 0 in the copy here) are rejected and reported.
  Titles: u.item, year stripped, ", The" / ", A" / ", An" moved to the front (LLaRA's rule).
- goodbooks: ratings.csv then to_read.csv, each in row order (= time order; no timestamps), repeated
  books dropped; users with at least 4 books. 5 % of users (fixed seed) are held out for val and 5 %
  for test (their last book is the target); training rows are built from the others as above.
- converted app data (`convert`): the same layout as lastfm, written by this module.
"""

import argparse
import csv
import datetime
import json
import os
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from tqdm import tqdm

from training.prompts import Sample, sample_candidates

# -----------------------------------------------------------------------------
DATASETS = ["movielens", "lastfm", "goodbooks"]
DOMAIN = {"movielens": "movie", "lastfm": "artist", "goodbooks": "book"}
shared_data = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
max_history = 10
min_history = 3
num_candidates = 20
seed = 0
holdout_fraction = 0.05  # goodbooks / app data: share of users held out for val and for test each
# Interaction kinds from the app that do not mean "the user wanted this item".
negative_kinds = {"not_interested", "thumbs_down", "dislike", "skip"}
# -----------------------------------------------------------------------------


class DataError(Exception):
    pass


@dataclass
class Dataset:
    name: str
    domain: str
    titles: list  # titles[row], titles[0] = ""
    ext_ids: list  # external id per row, ext_ids[0] = None
    creators: list = None  # creators[row] (first author, ...) where the source has them, else None
    train: list = field(default_factory=list)
    val: list = field(default_factory=list)
    test: list = field(default_factory=list)

    @property
    def num_items(self):
        return len(self.titles) - 1


def _need(path):
    if not os.path.isfile(path):
        raise DataError(f"missing file: {path}")
    return path


def _rows_from_sequence(items, start=min_history):
    """Every position k >= start of one time-ordered sequence: (previous <= 10 items, item k)."""
    return [(items[max(0, k - max_history):k], items[k]) for k in range(start, len(items))]


def _with_candidates(pairs, num_items, rng):
    out = []
    for hist, nxt in pairs:
        if len(hist) < min_history:
            continue
        out.append(Sample(list(hist), sample_candidates(hist, nxt, num_items, rng, num_candidates), nxt))
    return out


def _read_llara_jsonl(path, pad, to_row=lambda x: x + 1, item_of=lambda x: x):
    """LLaRA's rows: {"seq": [...padded with pad], "len_seq": n, "next": id}; returns (history rows, next row)."""
    pairs = []
    with open(_need(path), encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                seq = [item_of(x) for x in r["seq"]]
                hist = [to_row(x) for x in seq if x != pad][: r["len_seq"]]
                pairs.append((hist, to_row(item_of(r["next"]))))
            except (ValueError, KeyError, TypeError) as e:
                raise DataError(f"{path}:{ln}: not a LLaRA row ({e.__class__.__name__}: {e})")
    return pairs


def load_llara_dir(folder, name, domain, split_seed=seed):
    """lastfm's layout (also what `convert` writes): id2name.txt, train.jsonl, val.jsonl[, test.jsonl]."""
    titles, ext = [""], [None]
    with open(_need(os.path.join(folder, "id2name.txt")), encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            i, sep, title = line.rstrip("\n").partition("::")
            if not sep or not i.isdigit() or int(i) != len(titles) - 1:
                raise DataError(f"{folder}/id2name.txt:{ln}: expected 'id::name' with ids 0, 1, 2, ... in order")
            titles.append(title)
            ext.append(i)
    ext_path = os.path.join(folder, "items.tsv")  # written by `convert`: row id -> the app's item id [-> creator]
    creators = None
    if os.path.isfile(ext_path):
        with open(ext_path, encoding="utf-8") as f:
            cols = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        ext = [None] + [c[1] for c in cols]
        if any(len(c) > 2 for c in cols):
            creators = [""] + [c[2] if len(c) > 2 else "" for c in cols]
    pad = len(titles) - 1
    ds = Dataset(name, domain, titles, ext, creators=creators)
    for split in ("train", "val", "test"):
        path = os.path.join(folder, f"{split}.jsonl")
        if split == "test" and not os.path.isfile(path):
            continue
        rng = random.Random(f"{split_seed}-{name}-{split}")
        setattr(ds, split, _with_candidates(_read_llara_jsonl(path, pad), ds.num_items, rng))
    return ds


def load_rows(path, ds, name="rows", split_seed=seed):
    """Rows of `ds` from a file in the layout `convert` writes (LLaRA's jsonl, 0-based ids padded with N), with
    candidates drawn as for a split (fixed seed per name): e.g. only the newest period's rows (training/lsat.py)."""
    return _with_candidates(_read_llara_jsonl(path, ds.num_items), ds.num_items, random.Random(f"{split_seed}-{name}"))


def movielens_title(s):
    s = re.sub(r"\s*\(\d{4}\)\s*$", "", s)
    for sub in (", The", ", A", ", An"):  # LLaRA's get_mv_title
        if sub in s:
            return sub[2:] + " " + s.replace(sub, "")
    return s


def load_movielens(folder, split_seed=seed):
    titles, ext = [""], [None]
    with open(_need(os.path.join(folder, "u.item")), encoding="ISO-8859-1") as f:
        for ln, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("|")
            if len(parts) < 2 or int(parts[0]) != len(titles):
                raise DataError(f"{folder}/u.item:{ln}: expected 'id|title|...' with ids 1, 2, ... in order")
            titles.append(movielens_title(parts[1]))
            ext.append(parts[0])
    with open(_need(os.path.join(folder, "u.user")), encoding="ISO-8859-1") as f:
        known_users = {int(line.split("|")[0]) for line in f if line.strip()}
    by_user, rejected = defaultdict(list), []
    with open(_need(os.path.join(folder, "u.data"))) as f:
        for ln, line in enumerate(f, 1):
            parts = line.split()
            try:
                u, i, r, t = (int(x) for x in parts)
            except ValueError:
                rejected.append((ln, f"expected 4 integers, got {line.strip()!r}"))
                continue
            if u not in known_users:
                rejected.append((ln, f"user {u} not in u.user"))
            elif not 1 <= i < len(titles):
                rejected.append((ln, f"item {i} not in u.item"))
            else:
                by_user[u].append((t, ln, i, r))
    for ln, why in rejected:
        print(f"{folder}/u.data:{ln}: rejected: {why}", file=sys.stderr)
    seqs = {u: sorted(v) for u, v in by_user.items()}
    pairs_of = {u: {(i, r) for _, _, i, r in v} for u, v in seqs.items()}

    ds = Dataset("movielens", "movie", titles, ext)
    held = set()
    for split in ("val", "test"):
        path = os.path.join(folder, f"{split}.jsonl")
        pairs = []
        with open(_need(path)) as f:
            for ln, line in enumerate(f, 1):
                r = json.loads(line)
                hist = [(x[0] + 1, x[1]) for x in r["seq"] if x[0] != 1682][: r["len_seq"]]
                nxt = (r["next"][0] + 1, r["next"][1])
                users = [u for u, s in pairs_of.items() if set(hist + [nxt]) <= s]
                if len(users) != 1:
                    raise DataError(f"{path}:{ln}: matches {len(users)} users in u.data (expected exactly 1)")
                held.add(users[0])
                pairs.append(([i for i, _ in hist], nxt[0]))
        setattr(ds, split, _with_candidates(pairs, ds.num_items, random.Random(f"{split_seed}-movielens-{split}")))
    train_pairs = []
    for u in sorted(seqs):
        if u not in held:
            train_pairs += _rows_from_sequence([i for _, _, i, _ in seqs[u]])
    ds.train = _with_candidates(train_pairs, ds.num_items, random.Random(f"{split_seed}-movielens-train"))
    return ds


def _read_csv(path, columns):
    with open(_need(path), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)} (has {reader.fieldnames})")
        return list(reader)


def split_users(sequences, name, split_seed=seed, holdout=holdout_fraction):
    """Hold out users: val and test take each user's last item as the target; train windows from the rest."""
    users = sorted(u for u, s in sequences.items() if len(s) >= min_history + 1)
    rng = random.Random(f"{split_seed}-{name}-users")
    rng.shuffle(users)
    k = max(1, int(len(users) * holdout))
    val_u, test_u = set(users[:k]), set(users[k:2 * k])
    last = lambda s: (s[-1 - max_history:-1], s[-1])
    return ([last(sequences[u]) for u in sorted(val_u)], [last(sequences[u]) for u in sorted(test_u)],
            [p for u in users[2 * k:] for p in _rows_from_sequence(sequences[u])])


def load_goodbooks(folder, split_seed=seed):
    books = _read_csv(os.path.join(folder, "books.csv"), ["book_id", "title"])
    titles, ext, row_of, creators = [""], [None], {}, [""]
    for b in books:
        row_of[b["book_id"]] = len(titles)
        titles.append(b["title"])
        ext.append(b["book_id"])
        creators.append((b.get("authors") or "").split(",")[0].strip())  # optional column
    seqs = defaultdict(list)
    for fname in ("ratings.csv", "to_read.csv"):
        for ln, r in enumerate(_read_csv(os.path.join(folder, fname), ["user_id", "book_id"]), 2):
            if r["book_id"] not in row_of:
                raise DataError(f"{folder}/{fname}:{ln}: book_id {r['book_id']} not in books.csv")
            row = row_of[r["book_id"]]
            if row not in seqs[r["user_id"]]:
                seqs[r["user_id"]].append(row)
    val, test, train = split_users(seqs, "goodbooks", split_seed)
    ds = Dataset("goodbooks", "book", titles, ext, creators=creators)
    for split, pairs in (("train", train), ("val", val), ("test", test)):
        setattr(ds, split, _with_candidates(pairs, ds.num_items, random.Random(f"{split_seed}-goodbooks-{split}")))
    return ds


def item_texts(ds, with_creator):
    """What a prompt shows for each row: (title, first creator or None)."""
    creators = ds.creators if with_creator and ds.creators is not None else [None] * len(ds.titles)
    return [(t, c or None) for t, c in zip(ds.titles, creators)]


def training_folds(rows, folds):
    """Fold index per training row, for cross-fitting: rows of one user are consecutive in every
    loader here (row k+1 continues row k when its history ends with row k's target), so users are
    cut into `folds` contiguous blocks of about equal size and never split between folds."""
    starts = [0] + [k for k in range(1, len(rows)) if not rows[k].history or rows[k].history[-1] != rows[k - 1].target]
    fold_of, user = [], -1
    for k in range(len(rows)):
        if user + 1 < len(starts) and starts[user + 1] == k:
            user += 1
        fold_of.append(min(folds - 1, user * folds // len(starts)))
    return fold_of


def folder_domain(folder):
    """A folder's item kind: its domain.txt (movie, artist or book) where it has one (training/incremental.py
    writes MovieLens periods), else book (what `convert` writes for the app's catalog)."""
    path = os.path.join(folder, "domain.txt")
    if not os.path.isfile(path):
        return "book"
    with open(path, encoding="utf-8") as f:
        domain = f.read().strip()
    if domain not in DOMAIN.values():
        raise DataError(f"{path}: domain {domain!r} is not one of {', '.join(sorted(set(DOMAIN.values())))}")
    return domain


def load(name, data_dir=None, split_seed=seed):
    """A dataset by name (data_dir overrides ../shared/data/<name>), or a folder written by `convert`."""
    if name not in DATASETS:
        if os.path.isdir(name):
            return load_llara_dir(name, os.path.basename(os.path.normpath(name)), folder_domain(name), split_seed)
        raise DataError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)} or a folder written by convert")
    folder = data_dir or os.path.join(shared_data, name)
    if not os.path.isdir(folder):
        raise DataError(f"dataset folder not found: {folder}")
    if name == "lastfm":
        return load_llara_dir(folder, "lastfm", "artist", split_seed)
    if name == "movielens":
        return load_movielens(folder, split_seed)
    return load_goodbooks(folder, split_seed)


# --- the app's interactions export -> LLaRA's layout ---------------------------

def _parse_time(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    raise ValueError("not a timestamp")


def read_interactions(path):
    """JSONL lines {user, item, at, kind, value}; every line validated, all problems reported at once."""
    rows, errors = [], []
    with open(_need(path), encoding="utf-8") as f:
        for ln, line in enumerate(tqdm(f, desc="read interactions", unit=" lines"), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                if not isinstance(r, dict):
                    raise ValueError("not a JSON object")
                for k in ("user", "item", "at", "kind"):
                    if k not in r or r[k] in (None, ""):
                        raise ValueError(f"missing {k!r}")
                at = _parse_time(r["at"])
                value = r.get("value")
                if value is not None and not isinstance(value, (int, float)):
                    raise ValueError("value is not a number")
                rows.append((str(r["user"]), str(r["item"]), at, ln, str(r["kind"]), value))
            except ValueError as e:
                errors.append(f"{path}:{ln}: {e}")
    if errors:
        raise DataError(f"{len(errors)} bad line(s) in {path}, nothing written:\n  " + "\n  ".join(errors[:20]))
    return rows


def read_items(path):
    """JSONL {id, title} or CSV with id,title columns."""
    out = {}
    if path.endswith(".csv"):
        for ln, r in enumerate(_read_csv(path, ["id", "title"]), 2):
            out[str(r["id"])] = r["title"]
        return out
    with open(_need(path), encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if line.strip():
                try:
                    r = json.loads(line)
                    out[str(r["id"])] = str(r["title"])
                except (ValueError, KeyError, TypeError) as e:
                    raise DataError(f"{path}:{ln}: expected {{\"id\", \"title\"}} ({e})")
    return out


def convert(interactions_path, items_path, out, split_seed=seed, item_space=None, holdout=holdout_fraction):
    """Write id2name.txt, items.tsv, train/val/test.jsonl (LLaRA's rows, 0-based ids, padded with N).
    item_space: the rows of an existing model, [(external id, title, creator or None)] in row order
    (training/update.py): rows keep that order, so the model's SASRec and item table still apply, and
    interactions with items the model does not know are left out and counted, not refused.
    holdout: the share of users held out for val and for test each (one row each: their last item)."""
    rows = read_interactions(interactions_path)
    titles = read_items(items_path)
    unknown = sorted({(ln, i) for u, i, at, ln, kind, v in rows if i not in titles})
    if unknown:
        raise DataError(f"{len(unknown)} interaction(s) name items missing from {items_path}, first: "
                        + ", ".join(f"line {ln} item {i}" for ln, i in unknown[:5]))
    creators = {}
    if item_space is not None:
        ids = [e for e, _, _ in item_space]
        titles = {e: t for e, t, _ in item_space}
        creators = {e: c for e, _, c in item_space if c}
        outside = sum(1 for r in rows if r[1] not in titles)
        rows = [r for r in rows if r[1] in titles]
    else:
        ids, outside = sorted(titles), 0
    idx = {e: n for n, e in enumerate(ids)}
    seqs = defaultdict(list)
    for u, i, at, ln, kind, v in sorted(rows, key=lambda r: (r[2], r[3])):
        # A rating counts as liked above 3 (TALLRec/LSAT); negative feedback is not a next item.
        if kind in negative_kinds or (kind == "rating" and v is not None and v <= 3):
            continue
        if idx[i] not in seqs[u]:
            seqs[u].append(idx[i])
    val, test, train = split_users(seqs, "app", split_seed, holdout)
    pad = len(ids)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "id2name.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{n}::{titles[e]}\n" for n, e in enumerate(ids))
    with open(os.path.join(out, "items.tsv"), "w", encoding="utf-8") as f:
        f.writelines(f"{n}\t{e}" + (f"\t{creators[e]}" if e in creators else "") + "\n" for n, e in enumerate(ids))
    for split, pairs in (("train", train), ("val", val), ("test", test)):
        with open(os.path.join(out, f"{split}.jsonl"), "w") as f:
            for hist, nxt in pairs:
                f.write(json.dumps({"seq": hist + [pad] * (max_history - len(hist)), "len_seq": len(hist),
                                    "next": nxt}) + "\n")
    return {"users": len(seqs), "items": len(ids), "train": len(train), "val": len(val), "test": len(test),
            "interactions": len(rows), "outside_item_space": outside}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    c = sub.add_parser("convert", help="the app's interactions export -> LLaRA's layout")
    c.add_argument("--interactions", required=True, help="JSONL {user, item, at, kind, value}")
    c.add_argument("--items", required=True, help="JSONL {id, title} or CSV id,title")
    c.add_argument("--out", required=True)
    ap.add_argument("--dataset", default="movielens")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    try:
        if args.cmd == "convert":
            print(json.dumps(convert(args.interactions, args.items, args.out)))
            return
        ds = load(args.dataset, args.data_dir)
    except DataError as e:
        sys.exit(f"error: {e}")
    print(f"{ds.name}: {ds.num_items} items, train {len(ds.train)}, val {len(ds.val)}, test {len(ds.test)} rows")
    s = ds.val[0]
    print("val[0] history:", [ds.titles[i] for i in s.history])
    print("val[0] target:", ds.titles[s.target], "| candidates:", [ds.titles[i] for i in s.candidates][:5], "...")


if __name__ == "__main__":
    main()
