"""The live training monitor: growing metric buffers, pyqtgraph curves, sample scrubber, watchdog."""
