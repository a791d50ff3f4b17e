"""Training from the app: the Train tab's form, the training subprocess, the run-folder follower."""
