"""The installed aekit version, in a module of its own so that any part can name it
without importing the package root."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aekit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
