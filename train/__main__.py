import sys

from train import stop_signal

stop_signal.install()       # before torch and numpy load: a Stop during start-up is kept, not lost

from train.cli import entry  # noqa: E402

sys.exit(entry())
