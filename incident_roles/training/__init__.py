"""Fine-tuning from a YAML run config: encoders, label alignment, training windows, trainer, model card."""
