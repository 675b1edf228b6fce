#!/usr/bin/env bash
# GPU check of the surrogate paths (run on a CUDA machine from the repo root; the
# device tool's run sets $OUT). Builds tldse without dependencies (the machine's
# own torch, numpy, pandas... are used), then times CPU against CUDA on:
# tldse train, tldse explore (network and per-layer surrogate), and the quick
# transfer experiment. Everything it prints also goes to $OUT/device_check.log.
set -uo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/device_check}
mkdir -p "$OUT"
exec > >(tee "$OUT/device_check.log") 2>&1
step() { echo "== $*"; local t0=$SECONDS; "$@"; echo "-- rc=$? ${*:1:3}: $((SECONDS - t0)) s"; }
step python3 -m pip install -q --no-deps --no-build-isolation .
python3 -c "import torch, tldse; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-', 'tldse', tldse.__version__)"
W=$(mktemp -d)
step tldse dataset "$W/data" --space edge --workloads resnet18,mobilenet_v2 --configs 400 --no-progress
step tldse train "$W/data" --out "$W/m_cpu" --device cpu --seed 0
step tldse train "$W/data" --out "$W/m_cuda" --device cuda --seed 0
step tldse explore --out "$W/ex_cpu" --quiet --device cpu
step tldse explore --out "$W/ex_cuda" --quiet --device cuda
grep -h "stopped\|wall time" "$W/ex_cpu/report.md" "$W/ex_cuda/report.md"
step tldse explore --granularity layer --out "$W/exl_cuda" --quiet --device cuda
grep -h "stopped\|wall time" "$W/exl_cuda/report.md"
step tldse experiment transfer --size quick --out "$W/tr_cuda" --device cuda --no-progress --no-plots
cp "$W/tr_cuda/results.md" "$OUT/transfer_quick_cuda.md" 2>/dev/null
cp "$W/exl_cuda/report.md" "$OUT/explore_layer_cuda.md" 2>/dev/null
