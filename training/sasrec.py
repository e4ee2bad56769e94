"""
SASRec (Kang & McAuley, 2018): self-attentive sequential recommendation, plus the two baselines
evaluated beside it (a GRU4Rec-style GRU and popularity).

    python -m training.sasrec --dataset movielens                 # -> training/runs/sasrec-movielens/
    python -m training.sasrec --dataset lastfm --model gru        # GRU4Rec-style baseline

The model is the paper's: item embedding (scaled by sqrt(d)) + learned position embedding, a stack
of causal self-attention blocks (pre-LayerNorm, point-wise feed-forward, residuals), a final
LayerNorm. The user's state is the output at the last position; an item's score is
state · item_embedding (the item table is shared between input and output, as in the paper).
Trained with BCE on one sampled negative per position (the paper's loss).

The raw item embedding table is what LLaRA feeds through its projector: it is exported as
item_embeddings.f32 and is the contract between the recommender and the prompt.
"""

import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

# -----------------------------------------------------------------------------
dataset = "movielens"
model_kind = "sasrec"  # sasrec | gru
max_len = 10  # LLaRA's history length
dim = 64  # rec_dim: the projector's input
num_blocks = 2
num_heads = 1
dropout = 0.2
lr = 1e-3
batch_size = 128
epochs = 200
eval_every = 5
patience = 6  # evaluations without a better validation HR@1 before stopping
seed = 0
threads = 1
device = "cpu"
out_dir = "training/runs"
# -----------------------------------------------------------------------------


class Block(nn.Module):
    """Pre-LN causal self-attention + point-wise feed-forward (SASRec.pytorch's layout)."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-8)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(dim, eps=1e-8)
        self.ffn = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim),
                                 nn.Dropout(dropout))

    def forward(self, x, causal):
        q = self.ln1(x)
        # The paper's block uses the normalized input as the query and the raw input as keys/values.
        a, _ = self.attn(q, x, x, attn_mask=causal, need_weights=False)
        x = q + a
        return x + self.ffn(self.ln2(x))


def xavier_init(model):
    """SASRec.pytorch's initialisation: Xavier-normal on every weight matrix (embeddings included).
    PyTorch's default N(0, 1) embeddings, scaled by sqrt(dim), start the attention saturated: on
    LastFM that took 184 epochs to reach val HR@1 0.16."""
    for name, p in model.named_parameters():
        if p.dim() > 1:
            nn.init.xavier_normal_(p)
    with torch.no_grad():
        model.item_emb.weight[0].zero_()  # padding row


class SASRec(nn.Module):
    def __init__(self, num_items, dim=64, max_len=10, blocks=2, heads=1, dropout=0.2):
        super().__init__()
        self.num_items, self.dim, self.max_len, self.heads = num_items, dim, max_len, heads
        self.item_emb = nn.Embedding(num_items + 1, dim, padding_idx=0)  # row 0 = padding
        self.pos_emb = nn.Embedding(max_len, dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(blocks))
        self.ln = nn.LayerNorm(dim, eps=1e-8)
        xavier_init(self)

    def states(self, seq):
        """seq [B, L] of item rows, left-padded with 0, L <= max_len -> hidden states [B, L, dim]."""
        L = seq.shape[1]
        # Left padding: the last item always sits at position max_len - 1, whatever L is.
        pos = torch.arange(L, device=seq.device) + (self.max_len - L)
        x = self.item_emb(seq) * math.sqrt(self.dim) + self.pos_emb(pos)
        keep = (seq != 0).unsqueeze(-1).to(x.dtype)
        x = self.drop(x) * keep
        # Blocked: future positions and padding keys (each position still sees itself, so no row is empty).
        # Masking padding keys makes a left-padded sequence give the same state as the unpadded one.
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=seq.device), 1)
        eye = torch.eye(L, dtype=torch.bool, device=seq.device)
        blocked = causal | ((seq == 0).unsqueeze(1) & ~eye)  # [B, L, L]
        blocked = blocked.repeat_interleave(self.heads, 0)  # [B * heads, L, L] as nn.MultiheadAttention wants
        for b in self.blocks:
            x = b(x, blocked) * keep
        return self.ln(x)

    def forward(self, seq):
        """User state: the output at the last position [B, dim]."""
        return self.states(seq)[:, -1]

    def predict(self, seq, items):
        """Scores of candidate items [B, C] = state · item embedding."""
        return (self(seq).unsqueeze(1) * self.item_emb(items)).sum(-1)


class GRU4Rec(nn.Module):
    """GRU4Rec-style baseline: item embedding -> GRU -> last state, scored against the item table."""

    def __init__(self, num_items, dim=64, max_len=10, dropout=0.2, **_):
        super().__init__()
        self.num_items, self.dim, self.max_len = num_items, dim, max_len
        self.item_emb = nn.Embedding(num_items + 1, dim, padding_idx=0)
        self.drop = nn.Dropout(dropout)
        self.gru = nn.GRU(dim, dim, batch_first=True)

    def states(self, seq):
        # Left padding: zero inputs before the first item leave the GRU near its initial state.
        out, _ = self.gru(self.drop(self.item_emb(seq)))
        return out

    def forward(self, seq):
        return self.states(seq)[:, -1]

    def predict(self, seq, items):
        return (self(seq).unsqueeze(1) * self.item_emb(items)).sum(-1)


def left_pad(seqs, L):
    out = torch.zeros(len(seqs), L, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s[-L:]
        if s:
            out[i, L - len(s):] = torch.tensor(s)
    return out


def training_sequences(rows, L):
    """Next-item training from LLaRA rows: input = history, positive = the next item at every
    position (history[1:] + target). Negatives are drawn per batch."""
    seqs, pos = [], []
    for r in rows:
        full = (r.history + [r.target])[-(L + 1):]
        seqs.append(full[:-1])
        pos.append(full[1:])
    return left_pad(seqs, L), left_pad(pos, L)


def hit_ratio_at_1(model, rows, device, bs=512):
    """HR@1 over the 20 LLaRA candidates: is the top-scored candidate the target?"""
    model.eval()
    hits = 0
    with torch.no_grad():
        for i in range(0, len(rows), bs):
            chunk = rows[i:i + bs]
            seq = left_pad([r.history for r in chunk], model.max_len).to(device)
            cands = torch.tensor([r.candidates for r in chunk], device=device)
            best = cands.gather(1, model.predict(seq, cands).argmax(1, keepdim=True)).squeeze(1)
            hits += (best.cpu() == torch.tensor([r.target for r in chunk])).sum().item()
    return hits / max(1, len(rows))


def popularity_hit_ratio(train_rows, rows):
    """Popularity baseline: pick the candidate seen most often in training (ties -> first)."""
    counts = {}
    for r in train_rows:
        for i in r.history + [r.target]:
            counts[i] = counts.get(i, 0) + 1
    hits = sum(max(r.candidates, key=lambda c: counts.get(c, 0)) == r.target for r in rows)
    return hits / max(1, len(rows))


def train(model, train_rows, val_rows, args):
    dev = torch.device(args.device)
    model.to(dev)
    # Consecutive rows of one user overlap in all but one item, and each row already trains every
    # position: an epoch takes every max_len-th row, from a shifting offset, so it sees each transition
    # about once (10x less work than all rows for the same signal).
    stride = model.max_len
    seq_all, pos_all = training_sequences(train_rows, model.max_len)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98))
    g = torch.Generator().manual_seed(args.seed)
    best, best_state, bad = -1.0, None, 0
    bar = tqdm(range(1, args.epochs + 1), desc=f"train {args.model}", unit="epoch")
    for epoch in bar:
        model.train()
        seq, pos = seq_all[epoch % stride::stride], pos_all[epoch % stride::stride]
        perm = torch.randperm(len(seq), generator=g)
        total = 0.0
        for i in range(0, len(seq), args.batch_size):
            idx = perm[i:i + args.batch_size]
            s, p = seq[idx].to(dev), pos[idx].to(dev)
            n = torch.randint(1, model.num_items + 1, p.shape, generator=g).to(dev)
            h = model.states(s)
            pl = (h * model.item_emb(p)).sum(-1)
            nl = (h * model.item_emb(n)).sum(-1)
            mask = p != 0
            loss = (F.binary_cross_entropy_with_logits(pl[mask], torch.ones_like(pl[mask])) +
                    F.binary_cross_entropy_with_logits(nl[mask], torch.zeros_like(nl[mask])))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        if epoch % args.eval_every == 0:
            hr = hit_ratio_at_1(model, val_rows, dev)
            bar.set_postfix(loss=f"{total:.1f}", val_hr1=f"{hr:.4f}")
            if hr > best:
                best, bad = hr, 0
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= args.patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return best


def main():
    from training import data
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=dataset, choices=data.DATASETS)
    ap.add_argument("--model", default=model_kind, choices=["sasrec", "gru"])
    ap.add_argument("--dim", type=int, default=dim)
    ap.add_argument("--blocks", type=int, default=num_blocks)
    ap.add_argument("--heads", type=int, default=num_heads)
    ap.add_argument("--dropout", type=float, default=dropout)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--batch-size", type=int, default=batch_size)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--eval-every", type=int, default=eval_every)
    ap.add_argument("--patience", type=int, default=patience)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--device", default=device, choices=["cpu", "cuda"])
    ap.add_argument("--data-dir", default=None, help="override the dataset folder (default: ../shared/data/<dataset>)")
    ap.add_argument("--out", default=None, help="default: training/runs/<model>-<dataset>[-fold<K>of<N>]")
    ap.add_argument("--fold", default=None, metavar="K/N",
                    help="cross-fitting: train without fold K of N (users in contiguous blocks), so the "
                         "listwise ranker sees this model's scores on rows it never trained on")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    try:
        ds = data.load(args.dataset, args.data_dir)
    except data.DataError as e:
        sys.exit(f"error: {e}")
    suffix = ""
    if args.fold:
        k, n = (int(x) for x in args.fold.split("/"))
        fold_of = data.training_folds(ds.train, n)
        ds.train = [r for r, f in zip(ds.train, fold_of) if f != k]
        suffix = f"-fold{k}of{n}"
    Model = SASRec if args.model == "sasrec" else GRU4Rec
    model = Model(ds.num_items, dim=args.dim, max_len=max_len, blocks=args.blocks, heads=args.heads,
                  dropout=args.dropout)
    t0 = time.time()
    best_val = train(model, ds.train, ds.val, args)
    dev = torch.device(args.device)
    result = {"dataset": args.dataset, "model": args.model, "val_hr1": hit_ratio_at_1(model, ds.val, dev),
              "test_hr1": hit_ratio_at_1(model, ds.test, dev) if ds.test else None,
              "popularity_val_hr1": popularity_hit_ratio(ds.train, ds.val),
              "popularity_test_hr1": popularity_hit_ratio(ds.train, ds.test) if ds.test else None,
              "val_rows": len(ds.val), "test_rows": len(ds.test), "train_rows": len(ds.train),
              "train_seconds": round(time.time() - t0, 1), "best_val_hr1_during_training": best_val,
              "config": {k: getattr(args, k) for k in ("dim", "blocks", "heads", "dropout", "lr", "batch_size", "seed")}}
    out = args.out or os.path.join(out_dir, f"{args.model}-{args.dataset}{suffix}")
    os.makedirs(out, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "num_items": ds.num_items, "dim": args.dim, "max_len": max_len,
                "blocks": args.blocks, "heads": args.heads, "model": args.model}, os.path.join(out, "model.pt"))
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    Model = SASRec if ck["model"] == "sasrec" else GRU4Rec
    m = Model(ck["num_items"], dim=ck["dim"], max_len=ck["max_len"], blocks=ck["blocks"], heads=ck["heads"])
    m.load_state_dict(ck["state_dict"])
    return m.eval()


if __name__ == "__main__":
    main()
