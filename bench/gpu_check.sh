#!/usr/bin/env bash
# The GPU checks, as one script for a lent GPU machine (its python3 has torch + CUDA, no Qt):
#   1. the CUDA tests (tests/train/test_cuda.py: every kind, bf16, channels-last, compile, resume,
#      the explorer's render engine against the CPU),
#   2. bench/train_throughput.py on CUDA: our trainer vs the textbook loop, per speed option,
#   3. bench/sweep.py: InfoGAN recipe variants on the GPU, and toy runs on the machine's other
#      CPU cores (started first, so they run while 1 and 2 use the GPU).
# Logs go to $OUT (default /tmp/gpu_check). BUDGET: seconds the whole script may take.
# INFOGAN_PLAN: the GPU sweep's plan (default: the search run on 2026-11-27; next: gpu_infogan_next.toml).
set -u
OUT=${OUT:-/tmp/gpu_check}
BUDGET=${BUDGET:-520}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD GAN_EXPLORER_CACHE=${GAN_EXPLORER_CACHE:-$PWD/.devcache}
T0=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - T0))); }
PY=${PY:-python3}

{ nvidia-smi -L; nproc
  $PY -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'numpy', numpy.__version__, torch.cuda.get_device_name(0))"
  $PY -c "from train.data import load_dataset; from train.probe import get_probe; print('probe accuracy', get_probe(load_dataset('digits')).accuracy)"
} > "$OUT/env.txt" 2>&1

$PY bench/sweep.py bench/plans/cpu_toys.toml --workers "${TOY_WORKERS:-11}" --device cpu \
    --deadline $(($(left) - 25)) --out "$OUT/toys.jsonl" > "$OUT/toys.txt" 2>&1 &
TOYS=$!

timeout 150 $PY -m pytest -q -p no:cacheprovider -rs tests/train/test_cuda.py > "$OUT/pytest.txt" 2>&1
echo "pytest exit $?" >> "$OUT/pytest.txt"

for opts in "" "--amp bf16" "--cudnn-benchmark" "--cudnn-benchmark --amp bf16 --channels-last" "--compile"; do
    echo "== options: ${opts:-none}"
    timeout 100 $PY bench/train_throughput.py --device cuda --steps 300 --rounds 2 $opts
done > "$OUT/throughput.txt" 2>&1

$PY bench/sweep.py "${INFOGAN_PLAN:-bench/plans/gpu_infogan.toml}" --workers "${GPU_WORKERS:-4}" --device cuda \
    --deadline $(($(left) - 20)) --out "$OUT/infogan.jsonl" > "$OUT/infogan.txt" 2>&1
wait $TOYS
echo "total $(($(date +%s) - T0)) s" >> "$OUT/env.txt"
