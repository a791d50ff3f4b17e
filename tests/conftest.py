"""Shared test set-up: Qt must run offscreen (with no display, creating a QApplication
would abort the whole pytest process), so default the platform before anything imports Qt."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
