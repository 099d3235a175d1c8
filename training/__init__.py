"""MusicVAE training: data pipeline, model, trainer, exporter."""
