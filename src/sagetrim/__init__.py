"""sagetrim: make Amazon SageMaker spend visible and cut the waste in it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
