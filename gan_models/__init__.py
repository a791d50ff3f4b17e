"""Pure-torch GAN models, checkpoints and latent operations. Never imports Qt."""
from .config import ModelConfig, default_config
from .errors import CheckpointError, ConfigError, DatasetError, GanExplorerError

__all__ = ["ModelConfig", "default_config", "GanExplorerError", "CheckpointError",
           "ConfigError", "DatasetError"]
