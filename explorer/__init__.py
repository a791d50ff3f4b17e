"""GAN Explorer's desktop app (the only package that imports Qt, and only lazily:
`explorer.cli` must stay importable without Qt for the headless subcommands)."""
import os

# numpy's OpenBLAS starts one thread per core, and they busy-wait after every small call (the
# monitor's diversity check, the playground's maths): measured while monitoring a training run
# on 2 cores, the GUI process used 20 % of a core with them and 13 % without, the difference
# taken from the training next to it. The app's numpy work is small; torch has its own pool.
# Set before numpy is first imported (importing `explorer` comes first in every entry point);
# a value the user set wins.
# The training subprocess gets the user's environment back (`child_environ`).
BLAS_LIMIT_SET_HERE = "OPENBLAS_NUM_THREADS" not in os.environ
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def child_environ(**extra) -> dict:
    """os.environ for a child process, without the app's own BLAS limit."""
    env = dict(os.environ, **extra)
    if BLAS_LIMIT_SET_HERE:
        env.pop("OPENBLAS_NUM_THREADS", None)
    return env
