"""The ``aekit`` command line: the Python API's names, one verb each.

User mistakes (bad data, bad model file, an output that already exists) print one
line to stderr and exit with status 2; only a bug in aekit shows a traceback.
"""

from __future__ import annotations

import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from .common import CLIError, first_line
from .parser import build_parser

__all__ = ["CLIError", "build_parser", "main"]


def _interrupted(exc: BaseException) -> str:
    """What an interrupted run left behind and how to go on."""
    name = signal.Signals(exc.signal).name if getattr(exc, "signal", None) else "interrupted"
    history = getattr(exc, "history", None)
    done = f" after {len(history['epoch'])} epoch(s)" if history else ""
    checkpoint = getattr(exc, "checkpoint", None)
    if checkpoint is None:
        return f"{name}{done}; no model file was written."
    folder = Path(checkpoint).parent
    return (
        f"{name}{done}; no model file was written. Checkpoint: {checkpoint}. To go on, "
        f"run the same command with --checkpoint-dir {folder} --resume"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def one_line(message, category, *rest, **kw) -> str:  # not Python's file:line form
        return f"aekit {args.verb}: warning: {message}\n"

    python_format, warnings.formatwarning = warnings.formatwarning, one_line
    try:
        args.func(args)
    except (CLIError, ValueError, OSError) as exc:
        # ValueError covers aekit's own errors (bad data, bad model file, bad
        # parameter): all name the problem, so the message alone is the whole story.
        message = first_line(exc)
        print(f"aekit {args.verb}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"aekit {args.verb}: {_interrupted(exc)}", file=sys.stderr)
        return 128 + (getattr(exc, "signal", None) or signal.SIGINT)
    finally:
        warnings.formatwarning = python_format
    return 0


if __name__ == "__main__":
    sys.exit(main())
