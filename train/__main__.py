import sys

from train.cli import entry

sys.exit(entry())
