#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU and a CUDA PyTorch in python3, builds torchnode
# against that PyTorch, runs the test suite (CUDA tests run when a device is visible) and the CUDA
# benchmarks against PyTorch; prints one short table. Everything else goes to OUTDIR, with
# benchmarks-cuda-<libtorch>.json (copy it to docs/, then `npm run bench -- --render-docs`).
#
#   scripts/gpu-check.sh [--carried DIR] OUTDIR
#
# Needs cmake, make or ninja, a C++ compiler, the NVIDIA driver, python3 with a CUDA PyTorch, and
# node with this checkout's production node_modules and compiled dist/ + dist-test/. A machine
# with no network and no Node gets them from a folder made here by `scripts/gpu-carry.sh DIR`
# (node.xz, node_modules.tar.xz, dist.tar.xz; 24 MiB): --carried DIR unpacks them first.
# PYTHON=...               another interpreter than python3
# GPU_CHECK_PAIRS=N        runs of each side per benchmark case (default 2)
# GPU_CHECK_TESTS="a b"    only these test files (dist-test/test/a.test.js ...), default all
# GPU_CHECK_BENCH=ID,...   only these benchmark cases (default every CUDA case)
# GPU_CHECK_SKIP_BUILD=1, GPU_CHECK_SKIP_TESTS=1, GPU_CHECK_SKIP_BENCH=1   skip a phase
# CIFAR10_DIR=DIR          with the CIFAR-10 .bin files there, also a timed run of the CUDA recipe
set -uo pipefail

fail() { echo "gpu-check: $*" >&2; exit 1; }
carried=
if [ "${1:-}" = --carried ]; then carried=${2:-}; shift 2 || fail "usage: scripts/gpu-check.sh [--carried DIR] OUTDIR"; fi
[ $# -eq 1 ] || fail "usage: scripts/gpu-check.sh [--carried DIR] OUTDIR"
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1" || fail "cannot create $1"
out=$(cd "$1" && pwd)
cd "$root" || exit 1
python=${PYTHON:-python3}
pairs=${GPU_CHECK_PAIRS:-2}
step() { echo "gpu-check: $*" | tee -a "$out/steps.txt" >&2; }
: > "$out/steps.txt"
started=$(date +%s)

# 0. What was carried: node onto PATH, node_modules and the compiled JavaScript into the checkout.
if [ -n "$carried" ]; then
  [ -d "$carried" ] || fail "--carried $carried is not a folder (make it with scripts/gpu-carry.sh)"
  for f in node.xz node_modules.tar.xz dist.tar.xz; do [ -f "$carried/$f" ] || fail "$carried/$f is missing (scripts/gpu-carry.sh makes it)"; done
  mkdir -p /tmp/torchnode-node/bin
  xz -dc "$carried/node.xz" > /tmp/torchnode-node/bin/node && chmod +x /tmp/torchnode-node/bin/node || fail "cannot unpack $carried/node.xz"
  export PATH=/tmp/torchnode-node/bin:$PATH
  tar -xJf "$carried/node_modules.tar.xz" && tar -xJf "$carried/dist.tar.xz" || fail "cannot unpack $carried"
fi

# 1. What this machine has; stop early, saying what is missing.
command -v node >/dev/null || fail "node is not on PATH (carry it: scripts/gpu-carry.sh DIR, then --carried DIR)"
command -v nvidia-smi >/dev/null || fail "no NVIDIA GPU here: nvidia-smi is not on PATH (this check needs a GPU machine)"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || fail "nvidia-smi failed: $(head -n 3 "$out/nvidia-smi.txt")"
nvidia-smi -L 2>/dev/null | grep -q '^GPU' || fail "nvidia-smi lists no GPU"
for dir in cmake-js node-addon-api node-api-headers zod bindings; do
  [ -d "node_modules/$dir" ] || fail "node_modules/$dir is missing: carry this checkout's node_modules (scripts/gpu-carry.sh)"
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
step "$(cat "$out/pytorch.txt"); node $(node --version); $(nproc) cores"

# 2. Build the addon against that PyTorch (scripts/install.mjs takes $PYTHON or python3 first).
if [ "${GPU_CHECK_SKIP_BUILD:-0}" != 1 ]; then
  step "building the addon (log: build.log)"
  rm -rf build
  PYTHON="$python" node scripts/install.mjs > "$out/build.log" 2>&1 || fail "the build failed: $(grep -m 5 -E 'error|torchnode:' "$out/build.log" | tail -n 5)"
  if [ -x node_modules/.bin/tsc ]; then
    { node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p tsconfig.test.json; } >> "$out/build.log" 2>&1 || fail "tsc failed: $(tail -n 5 "$out/build.log")"
  fi
  step "built in $(( $(date +%s) - started )) s"
fi
[ -f dist/index.js ] && [ -d dist-test/test ] || fail "dist/ or dist-test/ is missing: carry them (scripts/gpu-carry.sh) or install typescript"
cp build/Release/torchnode-build.json "$out/" 2>/dev/null || fail "no build record: build/Release/torchnode-build.json is missing"
grep -q '"cuda": null' build/Release/torchnode-build.json && fail "the addon was built without CUDA: see build.log"
node dist/cli.js doctor > "$out/doctor.txt" 2>&1 || fail "torchnode does not load: $(tail -n 3 "$out/doctor.txt")"
node scripts/bench/cases/env.mjs > "$out/env-node.json" 2>> "$out/steps.txt" || fail "torchnode does not load: see steps.txt"
"$python" scripts/bench/cases/env.py > "$out/env-pytorch.json" 2>> "$out/steps.txt" || fail "the PyTorch side does not start: see steps.txt"
grep -q '"cudaAvailable":true' "$out/env-node.json" || fail "torchnode sees no CUDA device: $(cat "$out/env-node.json")"

# 3. The test suite: with a device visible, the CUDA tests run instead of skipping.
if [ "${GPU_CHECK_SKIP_TESTS:-0}" != 1 ]; then
  files=dist-test/test/
  if [ -n "${GPU_CHECK_TESTS:-}" ]; then files=$(for t in $GPU_CHECK_TESTS; do printf 'dist-test/test/%s.test.js ' "$t"; done); fi
  step "tests: ${GPU_CHECK_TESTS:-all} (log: test.log)"
  # shellcheck disable=SC2086
  node --test --test-concurrency=1 $files > "$out/test.log" 2>&1
  status=$?
  counts=$(grep -E '^# (tests|pass|fail|skipped|todo) ' "$out/test.log" | sed 's/^# //' | paste -sd ',' | sed 's/,/, /g')
  echo "exit $status: ${counts:-no summary}" > "$out/tests.txt"
  grep -E '^not ok|^# Subtest' "$out/test.log" | grep -B1 '^not ok' >> "$out/tests.txt"
  step "tests: $(head -n 1 "$out/tests.txt") ($(( $(date +%s) - started )) s so far)"
fi

# 4. The CUDA benchmark cases, torchnode and PyTorch alternating.
bench=0
if [ "${GPU_CHECK_SKIP_BENCH:-0}" != 1 ]; then
  only=${GPU_CHECK_BENCH:+--only=$GPU_CHECK_BENCH}
  step "CUDA benchmarks, $pairs run(s) a side (log: bench.log)"
  # shellcheck disable=SC2086
  node scripts/bench/run.mjs --cuda ${only:-} --json --write-docs --pairs="$pairs" --python="$python" > "$out/bench.jsonl" 2> "$out/bench.log"
  bench=$?
  # the kept run and the page with it: copy both into the repository's docs/ to publish them
  cp docs/benchmarks-cuda-*.json docs/benchmarks.md "$out/" 2>/dev/null
  step "benchmarks done ($(( $(date +%s) - started )) s so far)"
fi

# 5. The CUDA recipe on CIFAR-10, when the data is here.
if [ -n "${CIFAR10_DIR:-}" ]; then
  step "CUDA recipe on CIFAR-10 from $CIFAR10_DIR (log: recipe.log)"
  rm -rf /tmp/torchnode-recipe
  # shellcheck disable=SC2086
  if ! node dist/cli.js train --device cuda --data-dir "$CIFAR10_DIR" --out /tmp/torchnode-recipe --json ${GPU_CHECK_RECIPE_FLAGS:-} > "$out/recipe.log" 2>&1; then
    step "the recipe failed ($(tail -n 2 "$out/recipe.log" | head -c 300)); once more without CUDA graphs"
    rm -rf /tmp/torchnode-recipe
    # shellcheck disable=SC2086
    node dist/cli.js train --device cuda --data-dir "$CIFAR10_DIR" --out /tmp/torchnode-recipe --json --no-cuda-graphs ${GPU_CHECK_RECIPE_FLAGS:-} >> "$out/recipe.log" 2>&1
  fi
  tail -n 1 "$out/recipe.log" > "$out/recipe.json"
  step "recipe done ($(( $(date +%s) - started )) s so far)"
  cp /tmp/torchnode-recipe/metrics.jsonl "$out/recipe-metrics.jsonl" 2>/dev/null
fi

node scripts/bench/summary.mjs "$out" | tee "$out/summary.txt"
step "done in $(( $(date +%s) - started )) s"
[ "$bench" -eq 0 ] && ! grep -q '^exit [1-9]' "$out/tests.txt" 2>/dev/null
