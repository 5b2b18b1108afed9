"""Arrays and tables: the modality of ``Autoencoder`` and ``VariationalAutoencoder``
(flat rows, DataFrames with categorical columns, image arrays, memory-mapped ``.npy``)."""
