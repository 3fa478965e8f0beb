"""Evaluation: latent distribution mismatch and image-space interpolation benchmarks."""
