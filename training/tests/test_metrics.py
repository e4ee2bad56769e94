import os
import torch

from training.evaluate import is_valid_and_hit, metrics_of
from training.prompts import Sample
from training.sasrec import SASRec, hit_ratio_at_1, popularity_hit_ratio

CANDS = ["Heat", "Toy Story", "Up", "Casino"]


def test_valid_means_exactly_one_candidate_title_lower_cased():
    assert is_valid_and_hit("I recommend toy story.", CANDS, "Toy Story") == (True, True)
    assert is_valid_and_hit("CASINO", CANDS, "Toy Story") == (True, False)
    assert is_valid_and_hit("Nothing here", CANDS, "Toy Story") == (False, False)
    # Two titles occur ("Heat" and "Toy Story"): not valid, even though the target is there.
    assert is_valid_and_hit("Toy Story or Heat", CANDS, "Toy Story") == (False, False)
    # "Up" is a substring of "Upstream": LLaRA's rule counts it (substring, not word match).
    assert is_valid_and_hit("Upstream", CANDS, "Up") == (True, True)


def test_hit_ratio_over_valid_and_over_all_rows():
    m = metrics_of([True, True, False, True], [True, False, False, True])
    assert m == {"rows": 4, "valid_ratio": 0.75, "hr1_valid": 2 / 3, "hr1_all": 0.5}
    assert metrics_of([], [])["hr1_valid"] == 0


def test_popularity_picks_the_most_seen_candidate():
    train = [Sample([1, 1, 2], [], 1), Sample([3, 2, 1], [], 2)]  # counts: 1 -> 4, 2 -> 3, 3 -> 1
    rows = [Sample([5], [3, 2, 1], 1), Sample([5], [3, 2], 3)]
    assert popularity_hit_ratio(train, rows) == 0.5


def test_sasrec_hit_ratio_uses_the_top_scored_candidate():
    m = SASRec(4, dim=8, max_len=4, blocks=1, dropout=0.0).eval()
    with torch.no_grad():
        state = m(torch.tensor([[0, 1, 2, 3]]))[0]
        scores = m.item_emb.weight[1:] @ state
    best = int(scores.argmax()) + 1
    worst = int(scores.argmin()) + 1
    rows = [Sample([1, 2, 3], [worst, best], best), Sample([1, 2, 3], [worst, best], worst)]
    assert hit_ratio_at_1(m, rows, torch.device("cpu")) == 0.5


def test_sasrec_left_padding_does_not_change_the_state():
    m = SASRec(10, dim=8, max_len=6, blocks=2, dropout=0.0).eval()
    with torch.no_grad():
        a = m(torch.tensor([[0, 0, 0, 4, 5, 6]]))
        b = m(torch.tensor([[4, 5, 6]]))
    assert torch.allclose(a, b, atol=1e-5)


def test_pooled_pairs_each_row_with_itself_against_each_splits_strongest_baseline(tmp_path, capsys):
    import json
    import sys

    from training import pooled

    def run(name, splits):
        os.makedirs(tmp_path / name)
        (tmp_path / name / "eval.json").write_text(json.dumps(splits))
        return str(tmp_path / name)

    a = run("a", {"val": {"strongest_baseline": "sasrec", "hits": {"fusion": [1, 1, 0, 0], "sasrec": [1, 0, 0, 0]}}})
    b = run("b", {"test": {"strongest_baseline": "sasrec+pop",
                           "hits": {"fusion": [0, 1], "sasrec+pop": [1, 1], "sasrec": [0, 0]}}})
    sys.argv = ["pooled", f"{a}:val", f"{b}:test"]
    pooled.main()
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("| **pooled** | 6 | 0.5000 | each split's 0.5000 | 0.1667 | +0.000")
    assert "1/1" in lines[-1].split("|")[6]  # vs each split's strongest: one win (a), one loss (b)
    assert "2/0" in lines[-1].split("|")[7]  # vs SASRec
