"""Training side of GAN Explorer (pure torch/numpy, no Qt): data sets in `train.data`."""
