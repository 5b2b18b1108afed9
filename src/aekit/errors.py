"""The error of a request that cannot be served as asked (a flag that does not fit the
model, an output that exists): a ValueError the command line prints as one line."""


class UsageError(ValueError):
    """A command-line request that cannot be served; the message says why and what to do."""
