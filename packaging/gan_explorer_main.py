"""Entry point of the frozen bundle: the same `gan-explorer` CLI as the console script.

`GANExplorer train ...` runs the headless trainer. Code written for a source install that
starts `[sys.executable, "-m", "train", ...]` also works here: in a bundle sys.executable is
this program, so a leading `-m train` (or `-m explorer`) is dropped before the CLI sees it.
New code should use `explorer.frozen.train_command()`.
"""
import multiprocessing
import sys


def _argv() -> list[str]:
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "-m" and argv[1] in ("train", "explorer", "explorer.cli"):
        return (["train"] if argv[1] == "train" else []) + argv[2:]
    return argv


if __name__ == "__main__":
    multiprocessing.freeze_support()          # data-loader workers started with "spawn"
    from explorer.cli import main
    sys.exit(main(_argv()))
