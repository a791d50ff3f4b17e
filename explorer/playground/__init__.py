"""The 2D/1D GAN playground: an in-process toy Trainer on a worker thread, drawn live."""
