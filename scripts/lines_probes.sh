#!/usr/bin/env bash
# The lines probes: ACAI's benchmark read every 500 steps over 10,000 steps of training, for the
# plain AE and ACAI in ACAI's lines setting (Adam 1e-4, batch 64; the critic's learning rate is
# ACAI's method default here, 2e-4), on the library's networks. Their curves show where the
# ordering of ACAI's Table 1 settles: python scripts/lines_curves.py probes/*.pt
# Each probe takes 10-25 minutes on one thread; a finished or partial probe is resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p probes
probe() {
  name=$1
  shift
  .venv/bin/python -m aeai_lib train --dataset lines --out "probes/$name.pt" --resume --no-progress \
    --threads 1 --benchmark-every 500 --steps 10000 --seed 0 "$@"
}
probe vgg_ae_b64_lr1e-4 --method ae --batch-size 64 --lr 1e-4
probe vgg_acai_b64_lr1e-4 --method acai --batch-size 64 --lr 1e-4
