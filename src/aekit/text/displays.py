"""Texts next to their reconstructions, words that differ marked."""

from __future__ import annotations

from typing import Any

from ..plotting import register_display
from ..plotting._base import axes_or_new
from .metrics import word_matches

_ROW = 1.0  # line height, in data units


@register_display
class TextReconstructionDisplay:
    """A table: each input text, then its reconstruction with the words that differ
    from the input (position by position, as :func:`aekit.word_accuracy` counts them)
    in red.

    Parameters
    ----------
    texts, reconstructions : list of str

    Attributes
    ----------
    words_ : list of list of matplotlib Text
        Per row, the reconstruction's words.
    n_differing_ : int
        Words drawn as differing, over all rows.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from aekit.plotting import TextReconstructionDisplay
    >>> TextReconstructionDisplay(["hi all", "lol"], ["hi you", "lol"]).plot().n_differing_
    1
    """

    def __init__(self, texts: list[str], reconstructions: list[str]):
        self.texts = texts
        self.reconstructions = reconstructions

    @classmethod
    def from_estimator(
        cls, estimator: Any, texts: Any, *, n_samples: int = 10, ax: Any = None
    ) -> TextReconstructionDisplay:
        """Reconstruct the first ``n_samples`` of ``texts`` with a fitted TextAutoencoder."""
        from .input import check_texts

        texts = check_texts(texts)[:n_samples]
        return cls(texts, estimator.reconstruct(texts)).plot(ax=ax)

    def plot(self, ax: Any = None, *, fontsize: float = 9) -> TextReconstructionDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        if len(self.texts) != len(self.reconstructions):
            raise ValueError(
                f"{len(self.texts)} texts but {len(self.reconstructions)} reconstructions."
            )
        ax = axes_or_new(ax)
        ax.set_axis_off()
        n = len(self.texts)
        ax.set_xlim(0, 2)
        ax.set_ylim(n + 0.5, -0.8)
        style = {"fontsize": fontsize, "va": "center", "family": "monospace"}
        ax.text(0, -0.4, "input", weight="bold", **style)
        ax.text(1.02, -0.4, "reconstruction", weight="bold", **style)
        self.words_, self.n_differing_ = [], 0
        for row, (text, rebuilt) in enumerate(zip(self.texts, self.reconstructions, strict=True)):
            y = row * _ROW + 0.5
            ax.text(0, y, _short(text), **style)
            words, previous = [], None
            for word, same in word_matches(text, rebuilt):
                colour = "black" if same else "tab:red"
                if previous is None:
                    artist = ax.text(1.02, y, word, color=colour, **style)
                else:  # right after the previous word, one space apart
                    artist = ax.annotate(
                        " " + word, xy=(1, 0), xycoords=previous, va="bottom",
                        color=colour, fontsize=fontsize, family="monospace",
                    )  # fmt: skip
                if not same:
                    self.n_differing_ += 1
                    artist.set_fontweight("bold")
                words.append(artist)
                previous = artist
            self.words_.append(words)
        ax.set_title("texts through the code (differing words in red)", fontsize=fontsize + 1)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
