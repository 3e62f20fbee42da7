"""The pipeline that makes the embedded model good at Code Mode: data, LoRA, evaluation."""
