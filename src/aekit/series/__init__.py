"""Time series: windows of a stream, or equal-length series, through an autoencoder."""
