#!/usr/bin/env bash
# The GPU path, measured in one run of at most --budget seconds (default 480: 8 minutes; issue
# #15): the GPU-marked tests, the step benchmark and time to quality on CUDA, in float32 and
# bf16, eager and with torch.compile.
#
#   bash benchmarks/gpu_check.sh [--dry-run] [--budget SECONDS] [--aeai-options JSON]
#                                [--train-options JSON]
#
# Stages run in order of importance, each under `timeout`; one that does not fit in what is left
# of the budget is skipped, and one that fails does not stop the others. The output goes to the
# terminal and to $OUT/gpu_check.log (OUT defaults to /tmp/gpu_check); the last lines list each
# stage's status and seconds. --aeai-options and --train-options (JSON) reach both benchmarks'
# AEAI rows and time to quality (e.g. the final AEAI settings). --dry-run needs no GPU: it checks
# the arguments and has every stage check its own command line, then exits. PYTHON (default
# python3) is the interpreter; it needs torch, tqdm, Pillow and pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

usage="usage: bash benchmarks/gpu_check.sh [--dry-run] [--budget SECONDS] [--aeai-options JSON] [--train-options JSON]"
dry_run=0
budget=480
aeai_options='{}'
train_options='{}'
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    --budget|--aeai-options|--train-options)
      if [ $# -lt 2 ]; then echo "gpu_check: $1 needs a value; $usage" >&2; exit 2; fi
      case "$1" in
        --budget) budget="$2" ;;
        --aeai-options) aeai_options="$2" ;;
        --train-options) train_options="$2" ;;
      esac
      shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1'; $usage" >&2; exit 2 ;;
  esac
done
if ! [[ "$budget" =~ ^[0-9]+$ ]] || [ "$budget" -lt 60 ]; then
  echo "gpu_check: --budget must be a whole number of seconds >= 60, got '$budget'" >&2
  exit 2
fi

PYTHON="${PYTHON:-python3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
out="${OUT:-/tmp/gpu_check}"
mkdir -p "$out"
log="$out/gpu_check.log"
gpu_tests=$(grep -l "pytest.mark.gpu" tests/*.py | tr '\n' ' ')
step=(benchmarks/train_step.py --device cuda --aeai-options "$aeai_options")
quality=(benchmarks/time_to_quality.py --device cuda --aeai-options "$aeai_options"
  --train-options "$train_options" --eval-every 250 --max-steps 50000)

# name, seconds allowed, command: in order of importance
stages=(
  "tests|45|-m pytest -q -m gpu -o addopts=-ra -p no:cacheprovider --continue-on-collection-errors $gpu_tests"
  "step float32|75|${step[*]@Q} --repeats 10"
  "quality float32|110|${quality[*]@Q} --max-seconds 45"
  "step bf16|35|${step[*]@Q} --bf16 --repeats 10 --sections steps"
  "quality bf16|80|${quality[*]@Q} --bf16 --max-seconds 30"
  "step bf16 compiled|70|${step[*]@Q} --bf16 --compile --repeats 10 --sections steps"
  "step float32 compiled|60|${step[*]@Q} --compile --repeats 10 --sections steps"
  "quality bf16 compiled|90|${quality[*]@Q} --bf16 --compile --max-seconds 30"
)

if [ "$dry_run" = 1 ]; then
  for stage in "${stages[@]}"; do
    IFS='|' read -r name seconds command <<<"$stage"
    case "$name" in
      tests) check="$command --collect-only" ;;
      *) check="$command --dry-run" ;;
    esac
    # The stages' bf16 is CUDA's on the GPU; a dry run on a CPU without native bf16 checks the
    # arguments only, so it stands in a CPU that has it.
    if ! eval "AEAI_CPU_BF16=supported \"$PYTHON\" $check" >"$out/dry_run.txt" 2>&1; then
      echo "gpu_check: stage '$name' refuses its arguments: $(tail -n 1 "$out/dry_run.txt")" >&2
      exit 2
    fi
    echo "would run ($seconds s): $name"
  done
  echo "gpu_check: dry run, every stage accepts its arguments (budget $budget s)"
  exit 0
fi

if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "gpu_check: $PYTHON sees no CUDA device; run this on a GPU machine, or pass --dry-run to check the arguments" >&2
  exit 2
fi

: >"$log"
started=$SECONDS
summary=()
{
  echo "gpu_check: $(date -u +%FT%TZ), budget $budget s"
  "$PYTHON" -c "import torch; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '|', torch.cuda.get_device_name())"
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || true
} 2>&1 | tee -a "$log"
for stage in "${stages[@]}"; do
  IFS='|' read -r name seconds command <<<"$stage"
  left=$((budget - (SECONDS - started)))
  if [ "$left" -lt "$seconds" ]; then
    summary+=("$(printf '%-24s skipped (%s s left, needs %s)' "$name" "$left" "$seconds")")
    continue
  fi
  echo -e "\n=== $name (at most $seconds s)" | tee -a "$log"
  stage_started=$SECONDS
  eval "timeout --kill-after=10 $seconds \"$PYTHON\" $command" 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
  case "$status" in
    0) word="ok" ;;
    124|137) word="timed out" ;;
    *) word="failed (exit $status)" ;;
  esac
  summary+=("$(printf '%-24s %-20s %4d s' "$name" "$word" $((SECONDS - stage_started)))")
done
{
  echo -e "\n=== summary ($((SECONDS - started)) s of $budget)"
  printf '%s\n' "${summary[@]}"
} | tee -a "$log"
