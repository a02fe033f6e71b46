"""Writing results: atomic files and output folders, tables, route sheets."""
