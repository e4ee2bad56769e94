#!/usr/bin/env bash
# bench/incremental: replay MovieLens in time periods and compare ways of updating the ranker (full retrain,
# fine-tune, LSAT weight average and ensemble). The protocol is training/incremental.py's docstring; the run is
# resumable (rerun the same command to go on) and prints its table at the end.
#   npm run bench:incremental -- --periods 3 --train-per-period 160 --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x training/.venv/bin/python ]; then
  echo "bench/incremental needs the training environment: run 'bash tests/prepare.sh' (or npm test) once" >&2
  exit 1
fi
exec training/.venv/bin/python -m training.incremental "$@"
