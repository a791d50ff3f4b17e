"""GAN Explorer's desktop app (the only package that imports Qt, and only lazily:
`explorer.cli` must stay importable without Qt for the headless subcommands)."""
