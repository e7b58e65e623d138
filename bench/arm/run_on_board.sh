#!/usr/bin/env bash
# The standard RK3399 sweep: mosface-bench with 1 and 2 big cores (Cortex-A72), 4 little
# cores (Cortex-A53) and all 6, then one table. Run it ON the board: under qemu the
# figures are emulator artefacts, not latencies.
#
#   bench/arm/run_on_board.sh [-b MOSFACE_BENCH] [-o RESULTS_DIR] MODEL [mosface-bench options]
#
#   -b  the aarch64 mosface-bench binary (default: ./mosface-bench, then PATH)
#   -o  where the JSON goes (default: bench/results/arm/<hostname>-<date> beside this
#       script's repo, or ./mosface-results/... when the script was copied alone)
#   mosface-bench options are passed through: --image FILE or --size WxH, --iterations,
#   --warmup, --fp16 ... (not --threads/--powersave: the sweep sets those).
#
# Example, after copying mosface-bench, this script and a model folder to the board:
#   ./run_on_board.sh -b ./mosface-bench models/mos-s --size 640x480 --iterations 100 --warmup 10
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

BENCH=""
OUT=""
while getopts "b:o:h" flag; do
    case "$flag" in
        b) BENCH=$OPTARG ;;
        o) OUT=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ]; then
    echo "run_on_board: MODEL is missing" >&2
    usage >&2
    exit 2
fi
MODEL=$1
shift
for arg in "$@"; do
    case "$arg" in
        --threads|--powersave|--json) echo "run_on_board: $arg is set by the sweep; remove it" >&2; exit 2 ;;
    esac
done

if [ -z "$BENCH" ]; then
    if [ -x ./mosface-bench ]; then BENCH=./mosface-bench; else BENCH=$(command -v mosface-bench || true); fi
fi
if [ -z "$BENCH" ] || [ ! -x "$BENCH" ]; then
    echo "run_on_board: no mosface-bench binary; pass -b PATH (build it with scripts/cross_aarch64.sh)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
STAMP="$(hostname)-$(date +%Y%m%d-%H%M%S)"
if [ -z "$OUT" ]; then
    if [ -d "$HERE/../results" ] || [ -f "$HERE/../../pyproject.toml" ]; then
        OUT="$HERE/../results/arm/$STAMP"
    else
        OUT="./mosface-results/arm/$STAMP"
    fi
fi
mkdir -p "$OUT"

# What the numbers depend on besides the code: CPU, clocks, governor, temperature.
MACHINE=$(uname -m)
if [ "$MACHINE" != "aarch64" ]; then
    echo "run_on_board: this machine is $MACHINE, not an aarch64 board; the numbers below are not board figures" >&2
fi
describe_cpus() {
    local cpu
    for cpu in /sys/devices/system/cpu/cpu[0-9]*; do
        [ -r "$cpu/cpufreq/cpuinfo_max_freq" ] || continue
        printf '%s:%s MHz/%s ' "${cpu##*/}" "$(( $(cat "$cpu/cpufreq/cpuinfo_max_freq") / 1000 ))" \
            "$(cat "$cpu/cpufreq/scaling_governor" 2> /dev/null || echo '?')"
    done
}
MODEL_NAME=$(tr -d '\0' < /proc/device-tree/model 2> /dev/null || echo unknown)
TEMP=$(awk '{ printf "%.1f C", $1 / 1000 }' /sys/class/thermal/thermal_zone0/temp 2> /dev/null || echo unknown)
{
    echo "board: $MODEL_NAME ($MACHINE), kernel $(uname -r)"
    echo "cpus (max clock/governor): $(describe_cpus)"
    echo "temperature before: $TEMP"
    echo "bench: $BENCH; model: $MODEL; options: $*"
} | tee "$OUT/machine.txt"
# RK3399: cpu0-3 are A53 (1.4-1.5 GHz), cpu4-5 are A72 (1.8-2.0 GHz). A governor other than
# "performance" makes the first runs slower while clocks ramp up: raise --warmup, or as root
#   for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance > $g; done

# name threads powersave: ncnn's powersave pins the worker threads to that cluster.
SWEEP=("1 big:1:big" "2 big:2:big" "4 little:4:little" "all 6:6:all")

json_number() {  # json_number FILE KEY: a number from mosface-bench's flat JSON
    sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1"
}

ROWS=()
for entry in "${SWEEP[@]}"; do
    IFS=: read -r name threads powersave <<< "$entry"
    json="$OUT/${name// /-}.json"
    echo "== $name: --threads $threads --powersave $powersave"
    if "$BENCH" "$MODEL" --threads "$threads" --powersave "$powersave" --label "$name" --json "$json" "$@" \
        > "$OUT/${name// /-}.txt" 2>&1; then
        row=$(printf '%-9s %7s %7s' "$name" "$threads" "$powersave")
        for stage in preprocess inference postprocess total; do
            row+=$(printf ' %8s %8s' "$(json_number "$json" "${stage}_median_ms")" "$(json_number "$json" "${stage}_p90_ms")")
        done
        row+=$(printf ' %5s' "$(sed -n 's/.*"faces": \([0-9]*\).*/\1/p' "$json")")
    else
        # e.g. --powersave big on a CPU without big.LITTLE clusters: keep going, say why.
        row=$(printf '%-9s %7s %7s  failed: %s' "$name" "$threads" "$powersave" "$(tail -1 "$OUT/${name// /-}.txt")")
    fi
    ROWS+=("$row")
done
cat "$OUT"/*.json > "$OUT/sweep.jsonl" 2> /dev/null || true

TEMP_AFTER=$(awk '{ printf "%.1f C", $1 / 1000 }' /sys/class/thermal/thermal_zone0/temp 2> /dev/null || echo unknown)
{
    echo
    echo "mosface-bench sweep, milliseconds (median / p90 over the timed runs); temperature after: $TEMP_AFTER"
    printf '%-9s %7s %7s %17s %17s %17s %17s %5s\n' "cores" "threads" "cluster" \
        "preprocess" "inference" "postprocess" "total" "faces"
    printf '%-9s %7s %7s %8s %8s %8s %8s %8s %8s %8s %8s\n' "" "" "" med p90 med p90 med p90 med p90
    printf '%s\n' "${ROWS[@]}"
    echo "JSON: $OUT/sweep.jsonl"
} | tee "$OUT/table.txt"
