"""Datasets, augmentation and feedback sampling for MOS training."""
