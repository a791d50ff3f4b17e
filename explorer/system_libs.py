"""Before Qt starts on Linux: can Qt's xcb platform plugin load its system libraries?

PySide6's wheels bring Qt but not the X11/xcb libraries its `xcb` plugin links to. When one
is missing, Qt aborts with "Could not load the Qt platform plugin xcb" and blames
libxcb-cursor0 even when the library really missing is another one (libxcb-icccm4 and
libxcb-keysyms1 on a fresh Debian desktop). `ldd` on the plugin names the real ones; this
module turns them into the one command that installs them. No Qt imported here.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora/RHEL package) for every system library the xcb
# plugin (and the Qt libraries it pulls in) links to, from `ldd libqxcb.so` (PySide6 6.12)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
}


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so (found without importing PySide6), or None."""
    bases = [Path(getattr(sys, "_MEIPASS", "")) / "PySide6"] if getattr(sys, "_MEIPASS", None) else []
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        bases += [Path(p) for p in spec.submodule_search_locations]
    for base in bases:
        for plugin in (base / "Qt" / "plugins" / "platforms" / "libqxcb.so",
                       base / "plugins" / "platforms" / "libqxcb.so"):
            if plugin.is_file():
                return plugin
    return None


def parse_ldd(text: str) -> list[str]:
    """The sonames `ldd` reports as "not found", each once, in order."""
    missing = []
    for line in text.splitlines():
        name, arrow, where = line.strip().partition("=>")
        if arrow and where.strip().startswith("not found") and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def missing_xcb_libraries() -> list[str]:
    """Sonames the xcb plugin needs that the dynamic loader cannot find ([] when all resolve,
    or when this cannot be checked: no plugin file, no ldd)."""
    plugin, ldd = xcb_plugin(), shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ldd(out)


def distro_family(os_release: str | None = None) -> str:
    """"debian", "fedora" or "" from /etc/os-release's ID and ID_LIKE."""
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text()
        except OSError:
            return ""
    ids = set()
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids |= set(value.strip().strip('"').lower().split())
    if ids & {"debian", "ubuntu"}:
        return "debian"
    if ids & {"fedora", "rhel", "centos"}:
        return "fedora"
    return ""


def install_command(missing: list[str], family: str) -> str:
    """The one command that installs the packages providing `missing` (both when the family
    is unknown)."""
    def packages(i: int) -> str:
        return " ".join(dict.fromkeys(PACKAGES[s][i] for s in missing if s in PACKAGES))
    apt, dnf = f"sudo apt-get install {packages(0)}", f"sudo dnf install {packages(1)}"
    if not any(s in PACKAGES for s in missing):
        return "install the packages that provide them"
    if family == "debian":
        return apt
    if family == "fedora":
        return dnf
    return f"{apt} (Debian/Ubuntu) or {dnf} (Fedora/RHEL)"


def xcb_problem(environ=None, platform: str | None = None, resolver=None, os_release: str | None = None) -> str | None:
    """One line saying which libraries Qt's xcb plugin is missing and how to install them, or
    None when everything resolves or Qt will not use xcb: not Linux, QT_QPA_PLATFORM set to
    another plugin, or unset with no X11 DISPLAY or with a Wayland session (Qt picks Wayland
    there)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (qpa and not qpa.startswith("xcb")):
        return None
    if not qpa and (not environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        return None
    missing = (resolver or missing_xcb_libraries)()
    if not missing:
        return None
    return (f"Qt's xcb platform plugin cannot load: missing {', '.join(missing)}. Fix: "
            f"{install_command(missing, distro_family(os_release))}")
