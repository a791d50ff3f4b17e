#!/usr/bin/env bash
# Smoke test of a built bundle (minutes; not part of `make test`):
#     make package && make smoke            # or: packaging/smoke.sh [path/to/GANExplorer]
# Runs the executable offscreen, from an empty folder: --version, cold start to the first
# image on the default bundled model, a 20-step headless training run, two tiny image runs
# (InfoGAN, CGAN; started with the `-m train` spelling that source-install code uses), and a
# PNG of every panel (`screenshot`), with the bundled model that fits it and with the tiny runs. Exits 0 only if every step worked; output stays in $SMOKE_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=$(readlink -f "${1:-dist/GANExplorer/GANExplorer}")
OUT=$(readlink -f "${SMOKE_OUT:-$(mktemp -d /tmp/gan-explorer-smoke.XXXXXX)}")
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$OUT/config"
[ -x "$EXE" ] || { echo "smoke: no executable at $EXE (run make package first)" >&2; exit 1; }
mkdir -p "$OUT"
cd "$OUT"          # nothing from the source tree is reachable by accident
step() { echo "== $*"; }
t0=$(date +%s.%N)

step "version"
"$EXE" --version

MODEL=$(ls "$(dirname "$EXE")"/_internal/resources/models/*.safetensors 2>/dev/null | head -1 || true)
step "cold start to first image (default model: ${MODEL:-none bundled, the window alone})"
if [ -n "$MODEL" ]; then
    GAN_EXPLORER_EXIT_AFTER_FIRST_IMAGE=1 timeout 180 "$EXE" "$MODEL" | tee cold.txt
    grep -q "first image:" cold.txt
fi

step "headless training: gan on ring8, 20 steps"
timeout 300 "$EXE" train --model gan --dataset ring8 --steps 20 --out "$OUT/ring8" --quiet
test -f "$OUT/ring8/checkpoints/latest.safetensors"

step "tiny image models for the image panels (the -m train spelling)"
for kind in infogan cgan; do
    timeout 300 "$EXE" -m train --model $kind --dataset digits --n-data 1000 --steps 5 \
        --g-width 8 --d-width 8 --out "$OUT/$kind" --quiet
    test -f "$OUT/$kind/checkpoints/latest.safetensors"
done

step "screenshots of every panel"
for panel in sampling arithmetic interpolation conditional codes; do
    rc=0   # the bundled model that fits the panel (exit 2: none fits, allowed while few are bundled)
    timeout 180 "$EXE" screenshot --panel "$panel" -o "$OUT/$panel-bundled.png" || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 2 ] || { echo "smoke: screenshot $panel (bundled) failed: $rc" >&2; exit 1; }
    model="$OUT/infogan"; [ "$panel" = conditional ] && model="$OUT/cgan"
    timeout 180 "$EXE" screenshot --panel "$panel" --model "$model" -o "$OUT/$panel.png"
    test -s "$OUT/$panel.png"
done
echo "smoke: OK in $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s ($OUT)"
