#!/usr/bin/env bash
# Compiles every src/main/cuda/*.cu into ONE fatbin (SASS for sm_80/86/89/90, PTX of compute_90 so
# newer GPUs JIT it), which the runtime loads with cuModuleLoadData. Called by Maven
# (exec-maven-plugin, generate-resources); -Dtrueno.cuda.skip=true skips this step.
# Usage: build-fatbin.sh <source dir> <output fatbin>
set -euo pipefail
src_dir="$1"
out="$2"

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
  for candidate in "$(command -v nvcc || true)" /usr/local/cuda/bin/nvcc /usr/local/bin/nvcc; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      nvcc="$candidate"
      break
    fi
  done
fi
if [[ -z "$nvcc" ]]; then
  cat >&2 <<'MSG'
[trueno] nvcc (the CUDA compiler) was not found, so the GPU kernels cannot be built.
[trueno]   Install the CUDA toolkit (12.x or 13.x, e.g. `apt-get install cuda-nvcc-13-0` from NVIDIA's
[trueno]   repository, see https://developer.nvidia.com/cuda-downloads) and put nvcc on PATH or set NVCC,
[trueno]   or build without kernels: mvn ... -Dtrueno.cuda.skip=true (the GPU backend then reports
[trueno]   "kernels not built" and Trueno runs on the CPU).
MSG
  exit 1
fi

shopt -s nullglob
sources=("$src_dir"/*.cu)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "[trueno] no CUDA sources in $src_dir" >&2
  exit 1
fi

# Rebuild only when a source changed: nvcc runs in every CI build, keep local rebuilds free.
if [[ -f "$out" ]]; then
  stale=0
  for s in "${sources[@]}" "$0"; do
    [[ "$s" -nt "$out" ]] && stale=1
  done
  if [[ $stale -eq 0 ]]; then
    echo "[trueno] $out is up to date"
    exit 0
  fi
fi

mkdir -p "$(dirname "$out")"
# One translation unit keeps nvcc time small; more .cu files are linked into the same fatbin
# with -dlink would need relocatable code, so for now there must be exactly one.
if [[ ${#sources[@]} -ne 1 ]]; then
  echo "[trueno] expected exactly one .cu file in $src_dir, found ${#sources[@]}" >&2
  exit 1
fi
echo "[trueno] $nvcc -> $out"
"$nvcc" -fatbin -O3 -std=c++17 \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_86,code=sm_86 \
  -gencode arch=compute_89,code=sm_89 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$out.tmp" "${sources[0]}"
mv "$out.tmp" "$out"
