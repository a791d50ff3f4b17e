#!/usr/bin/env bash
# Smoke test of a built bundle (minutes; not part of `make test`):
#     make package && make smoke            # or: packaging/smoke.sh [path/to/GANExplorer]
# Runs the executable offscreen: cold start to the first image, --version, a PNG of every
# panel (the `screenshot` subcommand, default model per panel), and a 20-step headless training run.
# Exits 0 only if every step worked; PNGs and the run folder are left in $SMOKE_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=${1:-dist/GANExplorer/GANExplorer}
OUT=${SMOKE_OUT:-$(mktemp -d /tmp/gan-explorer-smoke.XXXXXX)}
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$OUT/config"
[ -x "$EXE" ] || { echo "smoke: no executable at $EXE (run make package first)" >&2; exit 1; }
mkdir -p "$OUT"
cd "$OUT"          # nothing from the source tree is reachable by accident
EXE=$(readlink -f "$OLDPWD/$EXE" 2>/dev/null || readlink -f "$EXE")
step() { echo "== $*"; }

step "version"
"$EXE" --version

MODEL=$(ls "$(dirname "$EXE")"/_internal/resources/models/*.safetensors 2>/dev/null | head -1 || true)
step "cold start to first image (default model: ${MODEL:-none bundled})"
start=$(date +%s.%N)
GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1 timeout 180 "$EXE" ${MODEL:+"$MODEL"} | tee cold.txt
grep -q "first image:" cold.txt
echo "launch to exit: $(echo "$(date +%s.%N) - $start" | bc) s"

step "screenshots of every panel"
for panel in sampling arithmetic interpolation conditional codes; do
    rc=0
    timeout 180 "$EXE" screenshot --panel "$panel" -o "$OUT/$panel.png" || rc=$?
    if [ "$rc" = 0 ]; then test -s "$OUT/$panel.png"
    elif [ "$rc" = 2 ] && [ "$panel" != sampling ]; then echo "   (no bundled model fits $panel: skipped)"
    else echo "smoke: screenshot $panel failed (exit $rc)" >&2; exit 1; fi
done

step "headless training, 20 steps"
timeout 300 "$EXE" train --model gan --dataset ring8 --steps 20 --out "$OUT/run"
test -f "$OUT/run/checkpoints/latest.safetensors"
step "python -m train spelling (what code written for a source install starts)"
timeout 300 "$EXE" -m train --model gan --dataset ring8 --steps 2 --out "$OUT/run-m"
test -f "$OUT/run-m/checkpoints/latest.safetensors"
echo "smoke: OK ($OUT)"
