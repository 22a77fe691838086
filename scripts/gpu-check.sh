#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU and a CUDA PyTorch in python3, builds torchnode
# against that PyTorch, runs `npm test` (CUDA tests run when a device is visible) and the CUDA
# benchmarks against PyTorch; prints one short table. Everything else goes to OUTDIR, with
# benchmarks-cuda.json (copy it to docs/, then `npm run bench -- --render-docs`).
#
#   scripts/gpu-check.sh OUTDIR
#
# Needs node (with this checkout's node_modules already in place: nothing is installed here),
# cmake, make or ninja, a C++17 compiler, the NVIDIA driver, and python3 with a CUDA PyTorch.
# PYTHON=...            another interpreter than python3
# GPU_CHECK_PAIRS=N     runs of each side per benchmark case (default 2)
# GPU_CHECK_SKIP_BUILD=1, GPU_CHECK_SKIP_TESTS=1   skip a phase (a rerun on the same machine)
set -uo pipefail

fail() { echo "gpu-check: $*" >&2; exit 1; }
[ $# -eq 1 ] || fail "usage: scripts/gpu-check.sh OUTDIR"
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1" || fail "cannot create $1"
out=$(cd "$1" && pwd)
cd "$root" || exit 1
python=${PYTHON:-python3}
pairs=${GPU_CHECK_PAIRS:-2}
step() { echo "gpu-check: $*" | tee -a "$out/steps.txt" >&2; }
: > "$out/steps.txt"

# 1. What this machine has; stop early, saying what is missing.
command -v node >/dev/null || fail "node is not on PATH"
command -v nvidia-smi >/dev/null || fail "no NVIDIA GPU here: nvidia-smi is not on PATH (this check needs a GPU machine)"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || fail "nvidia-smi failed: $(head -n 3 "$out/nvidia-smi.txt")"
nvidia-smi -L 2>/dev/null | grep -q '^GPU' || fail "nvidia-smi lists no GPU"
for dir in cmake-js node-addon-api node-api-headers typescript zod bindings; do
  [ -d "node_modules/$dir" ] || fail "node_modules/$dir is missing: carry this checkout's node_modules along (no npm install here)"
done
if ! command -v cmake >/dev/null; then
  # a pip-installed cmake keeps its binary inside the package
  pipcmake=$("$python" -c 'import cmake, os; print(cmake.CMAKE_BIN_DIR)' 2>/dev/null) && export PATH="$pipcmake:$PATH"
fi
command -v cmake >/dev/null || fail "cmake is not on PATH (nor in $python's cmake package): the addon cannot be built"
command -v make >/dev/null || command -v ninja >/dev/null || fail "neither make nor ninja is on PATH"
command -v c++ >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null || fail "no C++ compiler (c++, g++, clang++) on PATH"
"$python" - > "$out/pytorch.txt" 2>&1 <<'PY' || fail "$python has no usable CUDA PyTorch: $(tail -n 1 "$out/pytorch.txt")"
import torch
assert torch.version.cuda, f"PyTorch {torch.__version__} was built without CUDA"
assert torch.cuda.is_available(), f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU"
print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name(0)}")
PY
step "$(cat "$out/pytorch.txt"); node $(node --version)"

# 2. Build the addon against that PyTorch (scripts/install.mjs takes $PYTHON or python3 first).
if [ "${GPU_CHECK_SKIP_BUILD:-0}" != 1 ]; then
  step "building the addon (log: $out/build.log)"
  rm -rf build
  PYTHON="$python" node scripts/install.mjs > "$out/build.log" 2>&1 || fail "the build failed: $(tail -n 5 "$out/build.log")"
  node_modules/.bin/tsc -p tsconfig.json >> "$out/build.log" 2>&1 || fail "tsc failed: $(tail -n 5 "$out/build.log")"
fi
cp build/Release/torchnode-build.json "$out/" 2>/dev/null || fail "no build record: build/Release/torchnode-build.json is missing"
grep -q '"cuda": null' build/Release/torchnode-build.json && fail "the addon was built without CUDA: see $out/build.log"
node scripts/bench/cases/env.mjs > "$out/env-node.json" 2>> "$out/steps.txt" || fail "torchnode does not load: see $out/steps.txt"
"$python" scripts/bench/cases/env.py > "$out/env-pytorch.json" 2>> "$out/steps.txt" || fail "the PyTorch side does not start: see $out/steps.txt"
grep -q '"cudaAvailable":true' "$out/env-node.json" || fail "torchnode sees no CUDA device: $(cat "$out/env-node.json")"

# 3. The test suite: with a device visible, the CUDA tests run instead of skipping.
if [ "${GPU_CHECK_SKIP_TESTS:-0}" != 1 ]; then
  step "npm test (log: $out/test.log)"
  npm test > "$out/test.log" 2>&1
  status=$?
  counts=$(grep -E '^# (tests|pass|fail|skipped|todo) ' "$out/test.log" | sed 's/^# //' | paste -sd ',' | sed 's/,/, /g')
  echo "exit $status: ${counts:-no summary}" > "$out/tests.txt"
  step "npm test: $(cat "$out/tests.txt")"
fi

# 4. The CUDA benchmark cases, torchnode and PyTorch alternating.
step "CUDA benchmarks, $pairs run(s) a side (log: $out/bench.log)"
node scripts/bench/run.mjs --cuda --json --write-docs --pairs="$pairs" --python="$python" > "$out/bench.jsonl" 2> "$out/bench.log"
bench=$?
# the kept run and the page with it: copy both into the repository's docs/ to publish them
cp docs/benchmarks-cuda.json docs/benchmarks.md "$out/" 2>/dev/null

node scripts/bench/summary.mjs "$out" | tee "$out/summary.txt"
[ "$bench" -eq 0 ] && ! grep -q '^exit [1-9]' "$out/tests.txt" 2>/dev/null
