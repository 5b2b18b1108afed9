"""The image modality: files, PIL images and arrays in, pictures out."""
