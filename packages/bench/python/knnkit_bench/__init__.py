"""`pnpm compare`'s repository part: built-in datasets, the command line, expectations and the report (the measuring is knnkit's own, knnkit/_measure.py)."""
