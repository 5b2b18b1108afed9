"""Text: tokenizers, token batches, the text autoencoder and its metrics."""
