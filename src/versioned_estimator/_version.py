"""The package version (the file format has its own, in ``_format``)."""

__version__ = "0.1.0"
