"""Scoring through pipeline(): metrics, evaluation, errors, cross-validation, baselines, plots, speed, publishing."""
