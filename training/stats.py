"""
Paired comparison of two rankers on the same rows: HR@1 difference, its 95 % bootstrap interval, and
McNemar's exact test (two-sided binomial on the rows where exactly one of the two is right).
A 50-row slice proves nothing; these numbers say how much a difference on all rows does.
"""

import math
import random


def mcnemar_exact(wins: int, losses: int) -> float:
    """Two-sided exact p-value: P(a split at least this uneven) with n = wins + losses fair coin flips."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def bootstrap_interval(diffs, resamples=10000, seed=0):
    """95 % percentile interval of the mean of per-row differences (rows resampled with replacement)."""
    n = len(diffs)
    if n == 0:
        return (0.0, 0.0)
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return (means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1])


def paired(hits_a, hits_b, resamples=10000):
    """A against B on the same rows (lists of booleans)."""
    if len(hits_a) != len(hits_b):
        raise ValueError(f"paired rows differ in number: {len(hits_a)} and {len(hits_b)}")
    wins = sum(1 for a, b in zip(hits_a, hits_b) if a and not b)
    losses = sum(1 for a, b in zip(hits_a, hits_b) if b and not a)
    diffs = [int(a) - int(b) for a, b in zip(hits_a, hits_b)]
    n = max(1, len(diffs))
    low, high = bootstrap_interval(diffs, resamples)
    return {"diff": sum(diffs) / n, "ci95": [round(low, 4), round(high, 4)], "wins": wins, "losses": losses,
            "p_mcnemar": mcnemar_exact(wins, losses)}
