"""wasteopt: logistics planning for sorted municipal waste."""

__version__ = "0.1.0"
__all__ = ["__version__"]
