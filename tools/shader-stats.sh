#!/usr/bin/env bash
# What a production GPU compiler (Mesa RADV/ACO: AMD RDNA2 "navi21" and RDNA3
# "gfx1100", no GPU needed) makes of every variant of the sampling kernels:
# registers, spills, occupancy, workgroup memory and code size, one block per
# variant in the tool's own format. The WGSL is the composed source the app
# compiles (engine::gpu::Kernel::source, written out by the bench binary).
#   tools/shader-stats.sh [FAMILY ...]     (default: navi21 gfx1100)
#   tools/shader-stats.sh --table [FAMILY ...]   (also a Markdown table at the end)
# The kernels real GPUs run: the cooperative MLP kernel and the mixture's.
# KERNELS="mlp_cooperative mlp_per_thread mixture" adds the per-thread MLP
# kernel that CPU emulations run: it spills by design, and compiling each of
# its variants takes RADV minutes and gigabytes.
# Needs ../shared/tools/shader-stats (or SHADER_STATS=path/to/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source tools/env.sh
stats=${SHADER_STATS:-$ROOT/../shared/tools/shader-stats/run.sh}
[ -x "$stats" ] || { echo "shader-stats not found at $stats (set SHADER_STATS)" >&2; exit 2; }
table=0
if [ "${1:-}" = --table ]; then table=1; shift; fi
families=("$@")
[ ${#families[@]} -gt 0 ] || families=(navi21 gfx1100)
out=$(mktemp -d)
# The test profile (optimized) shares the build of `cargo test`.
cargo run -q --locked --profile test -p gpu-bench -- wgsl "$out" >&2
log=$out/stats.txt
for family in "${families[@]}"; do
  for kernel in ${KERNELS:-mlp_cooperative energy mixture}; do
    # The energy model has no classifier: the app never builds its GUIDANCE 2.
    guidances="0 1 2"; [ $kernel = energy ] && guidances="0 1"
    for guidance in $guidances; do
      # Heun and the multistep memory never meet in one plan.
      for hm in "0 0" "1 0" "0 1"; do
        set -- $hm
        echo "== $family $kernel GUIDANCE=$guidance HEUN=$1 MULTISTEP=$2"
        FAMILY=$family "$stats" "$out/$kernel.wgsl" run_steps GUIDANCE=$guidance HEUN=$1 MULTISTEP=$2
      done
    done
  done
  # The likelihood kernels (engine::likelihood) and the score layers'
  # Jacobians (engine::jacobian): no override constants.
  for kernel in likelihood_mlp likelihood_energy likelihood_mixture; do
    echo "== $family $kernel - - -"
    FAMILY=$family "$stats" "$out/$kernel.wgsl" integrate
  done
  for kernel in jacobian jacobian_energy; do
    echo "== $family $kernel - - -"
    FAMILY=$family "$stats" "$out/$kernel.wgsl" jacobians_at
  done
  echo "== $family langevin - - -"
  FAMILY=$family "$stats" "$out/langevin.wgsl" langevin_steps
  # The GRF lab's three passes (engine::grf).
  for entry in rows_forward columns_filter rows_update; do
    echo "== $family grf:$entry - - -"
    FAMILY=$family "$stats" "$out/grf.wgsl" $entry
  done
  echo "== $family ais - - -"
  FAMILY=$family "$stats" "$out/ais.wgsl" ais_steps
  # The training step's kernels (engine::train).
  for entry in gemm draw_batch loss_grad clf_loss_grad class_grad adamw; do
    echo "== $family train:$entry - - -"
    FAMILY=$family "$stats" "$out/train.wgsl" $entry
  done
done | tee "$log"
if [ $table = 1 ]; then
  echo
  echo "| family | kernel | GUIDANCE HEUN MULTISTEP | VGPRs | spilled VGPRs | subgroups per SIMD | LDS (B) | code (B) | instructions |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
  awk '/^== /{f=$2; k=$3; v=$4" "$5" "$6; gsub(/[A-Z]+=/,"",v)}
       /^VGPRs:/{vg=$2} /^Spilled VGPRs:/{sp=$3} /^Subgroups per SIMD:/{occ=$4} /^LDS size:/{lds=$3}
       /^Code size:/{code=$3} /^Instructions:/{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f, k, v, vg, sp, occ, lds, code, $2}' "$log"
fi
