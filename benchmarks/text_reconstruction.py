"""Tweet-like posts through a 64-dim code and back: aekit.TextAutoencoder on NPS Chat.

The 7,935 posts of ``../shared/data/text/nps_chat.tsv`` are deduplicated (lower-cased:
6,586 remain; "lol" alone is there 316 times) before a seeded 90/10 split, so no
held-out post was seen in training (``--keep-duplicates`` measures the old way); the
model trains on 90 % for ``--max-time`` seconds and is measured on the held-out 10 %:
exact match, position-wise and aligned (1 - WER) word accuracy and BLEU, overall and
by length in words (1-3, 4-6, 7-12, 13+); the reconstructions of the seed's tweet
"really need chipotle today" and of ten held-out posts of 7+ words; exact match on the
held-out posts that have a word no training post has; and the dialogue-act accuracy
of LogisticRegression on the codes against the same classifier on a 64-dim
TruncatedSVD of TF-IDF. Targets: the tweet back exactly, word accuracy >= 0.65, exact
match >= 0.60, exact match >= 0.25 on posts of 7+ words, codes at least as good as
TF-IDF-SVD, most posts with unseen words back exactly.

    python benchmarks/text_reconstruction.py [--max-time 300] [--data PATH] [--keep-duplicates]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import aekit
from aekit.text.metrics import reconstruction_metrics

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "nps_chat.tsv"


def load_posts(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False, dtype=str)


def unique_posts(frame: pd.DataFrame) -> pd.DataFrame:
    """The first of the posts that are the same lower-cased."""
    return frame[~frame["text"].str.lower().duplicated()]


def split(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(frame))
    n_test = len(frame) // 10
    return frame.iloc[order[n_test:]], frame.iloc[order[:n_test]]


def classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=300.0, help="training budget (s)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--params", default="{}", help="extra TextAutoencoder params (JSON)")
    parser.add_argument("--keep-duplicates", action="store_true", help="split all posts")
    parser.add_argument("--limit", type=int, default=None, help="first N posts only")
    args = parser.parse_args(argv)
    posts = load_posts(args.data)[: args.limit]
    train, test = split(posts if args.keep_duplicates else unique_posts(posts))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{len(train)} training posts, {len(test)} held out")  # fmt: skip
    params = {"latent_dim": 64, "max_time": args.max_time, "random_state": 0}
    params.update(json.loads(args.params))
    model = aekit.TextAutoencoder(**params)
    start = time.perf_counter()
    model.fit(train["text"].tolist())
    epochs = len(model.history_["epoch"])
    print(f"fit {time.perf_counter() - start:.1f}s, {epochs} epochs, params {params}")

    texts = test["text"].tolist()
    start = time.perf_counter()
    rebuilt = model.reconstruct(texts)
    seconds = time.perf_counter() - start
    metrics = reconstruction_metrics(texts, rebuilt)
    print(f"held out, rebuilt in {seconds:.1f}s:")
    print(
        f"  {'words':6s} {'texts':>5s} {'exact':>6s} {'word acc':>8s} {'aligned':>7s} {'BLEU':>6s}"
    )
    for bucket, m in metrics.items():
        bleu = "-" if m["bleu"] is None else f"{m['bleu']:6.1f}"
        print(f"  {bucket:6s} {m['n_texts']:5d} {m['exact_match']:6.3f} "
              f"{m['word_accuracy']:8.3f} {m['aligned_word_accuracy']:7.3f} "
              f"{bleu:>6s}")  # fmt: skip

    codes = classifier().fit(model.transform(train["text"].tolist()), train["class"])
    code_acc = codes.score(model.transform(texts), test["class"])
    # Words and runs of punctuation, one-letter words included: "?", ":)" and "i" are
    # tokens to the baseline as they are to the autoencoder's tokenizer.
    vectorizer = TfidfVectorizer(token_pattern=r"[\w']+|[^\w\s]+")
    tfidf = make_pipeline(vectorizer, TruncatedSVD(64, random_state=0), *classifier())
    tfidf_acc = tfidf.fit(train["text"], train["class"]).score(test["text"], test["class"])
    print(f"dialogue act, LogisticRegression on 64-dim codes: {code_acc:.4f}")
    print(f"dialogue act, LogisticRegression on TF-IDF + SVD-64: {tfidf_acc:.4f}")

    chipotle = "really need chipotle today"
    back = model.reconstruct([chipotle])[0]
    print(f"  {chipotle!r:45} -> {back!r}")
    seven = [i for i, t in enumerate(texts) if len(t.split()) >= 7]
    print("ten held-out posts of 7+ words:")
    for i in seven[:10]:
        print(f"  {texts[i]!r:60} -> {rebuilt[i]!r}")
    # Tweet-like lines with words the corpus never had: held-out posts with a word that
    # no training post has (the seed's "chipotle" is one such word in NPS Chat).
    known = {w for text in train["text"] for w in text.lower().split()}
    new = [i for i, t in enumerate(texts) if set(t.lower().split()) - known]
    new_exact = aekit.exact_match([texts[i] for i in new], [rebuilt[i] for i in new])
    print(f"{len(new)} held-out posts with a word no training post has: exact match "
          f"{new_exact:.3f}")  # fmt: skip
    for i in new[:5]:
        print(f"  {texts[i]!r:60} -> {rebuilt[i]!r}")
    overall = metrics["all"]
    long_exact = aekit.exact_match([texts[i] for i in seven], [rebuilt[i] for i in seven])
    targets = {
        "tweet back exactly": aekit.exact_match([chipotle], [back]) == 1.0,
        "word accuracy >= 0.65": overall["word_accuracy"] >= 0.65,
        "exact match >= 0.60": overall["exact_match"] >= 0.60,
        f"exact match on 7+ words >= 0.25 ({long_exact:.3f})": long_exact >= 0.25,
        "codes >= TF-IDF + SVD-64": code_acc >= tfidf_acc,
        f"most posts with unseen words back exactly ({new_exact:.3f})": new_exact > 0.5,
    }
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'NOT met'}")
    return {
        "word_accuracy": overall["word_accuracy"],
        "exact_match": overall["exact_match"],
        "exact_match_7plus": long_exact,
        "exact_match_unseen_words": new_exact,
        "codes": code_acc,
        "tfidf": tfidf_acc,
    }


if __name__ == "__main__":
    main()
