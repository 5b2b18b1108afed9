"""How aekit tells the user: the error of a request that cannot be served as asked (a
flag that does not fit the model, an output that exists; the command line prints it as
one line), and warnings that point at the user's own line."""


class UsageError(ValueError):
    """A command-line request that cannot be served; the message says why and what to do."""


def warn_user(message: str) -> None:
    """A UserWarning that points at the user's line: the first caller outside aekit (and
    the scikit-learn wrappers around its methods), however deep inside the call came."""
    import sys
    import warnings
    from pathlib import Path

    inside = (str(Path(__file__).parent), str(Path(sys.modules["sklearn"].__file__).parent))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level + 1)
