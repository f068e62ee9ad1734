"""Reports with inline markup: read, validate, check consistency, split, build, review."""
