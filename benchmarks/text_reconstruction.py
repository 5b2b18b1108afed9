"""Tweet-like posts through a 64-dim code and back: aekit.TextAutoencoder on NPS Chat.

The 7,935 posts of ``../shared/data/text/nps_chat.tsv`` are deduplicated (lower-cased:
6,586 remain; "lol" alone is there 316 times) before a seeded 90/10 split, so no held-out post was
seen in training (``--keep-duplicates`` measures the old way); the model trains on 90 %
for ``--max-time`` seconds and is measured on the held-out 10 %: word
accuracy and exact match of the reconstructions (aekit.word_accuracy / exact_match),
and the dialogue-act accuracy of LogisticRegression on the codes against the same
classifier on a 64-dim TruncatedSVD of TF-IDF. Targets: word accuracy >= 0.60, exact
match >= 0.40, codes above TF-IDF-SVD.

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
    word_acc = aekit.word_accuracy(texts, rebuilt)
    exact = aekit.exact_match(texts, rebuilt)
    print(f"held-out word accuracy {word_acc:.4f} (target >= 0.60)")
    print(f"held-out exact match   {exact:.4f} (target >= 0.40)   [{seconds:.1f}s to rebuild]")

    codes = classifier().fit(model.transform(train["text"].tolist()), train["class"])
    code_acc = codes.score(model.transform(texts), test["class"])
    tfidf = make_pipeline(TfidfVectorizer(), TruncatedSVD(64, random_state=0), *classifier())
    tfidf_acc = tfidf.fit(train["text"], train["class"]).score(test["text"], test["class"])
    print(f"dialogue act, LogisticRegression on 64-dim codes: {code_acc:.4f}")
    print(f"dialogue act, LogisticRegression on TF-IDF + SVD-64: {tfidf_acc:.4f}")

    for original, back in zip(texts[:5], rebuilt[:5], strict=True):
        print(f"  {original!r:45} -> {back!r}")
    chipotle = "really need chipotle today"
    print(f"  {chipotle!r:45} -> {model.reconstruct([chipotle])[0]!r}")
    met = word_acc >= 0.60 and exact >= 0.40 and code_acc > tfidf_acc
    print(f"targets: {'met' if met else 'NOT met'}")
    return {"word_accuracy": word_acc, "exact_match": exact, "codes": code_acc, "tfidf": tfidf_acc}


if __name__ == "__main__":
    main()
