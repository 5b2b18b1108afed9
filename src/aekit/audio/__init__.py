"""Audio: clips -> log-mel spectrograms -> any aekit autoencoder -> clips."""
