#!/bin/sh
# SPDX-License-Identifier: MIT
# table.sh: the one table `make bench` ends with. `table.sh start FILE` empties FILE and records the
# machine (CPU model, cores, kernel, load average) as the run starts; the benches then append their
# rows to FILE with bench_row (benchlib.h: figure, value, unit, limit name, limit, target, by tabs);
# `table.sh print FILE` prints them: each figure, the limit measured in the same run, the ratio and
# the target.
set -eu
cmd=${1:-}
file=${2:-}
if [ -z "$file" ]; then
    echo "usage: table.sh start|print FILE" >&2
    exit 2
fi
case $cmd in
start)
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    printf '#machine\t%s, %s cores, %s %s, load average %s at start\n' "${model:-unknown CPU}" \
        "$(getconf _NPROCESSORS_ONLN)" "$(uname -s)" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$file"
    ;;
print)
    awk -F '\t' '
        function num(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v) }
        /^#machine\t/ { machine = $2; next }
        { rows[++n] = $0 }
        END {
            printf "\nmake bench: summary\nmachine: %s\n\n", machine
            printf "%-56s %12s %-7s %-32s %12s %8s %-10s\n", "figure", "value", "unit", "limit (same run)", "limit", "ratio", "target"
            for (i = 1; i <= n; i++) {
                split(rows[i], f, "\t")
                ratio = f[5] > 0 ? sprintf("%.2fx", f[2] / f[5]) : "-"
                limit = f[5] > 0 ? num(f[5]) : "-"
                printf "%-56s %12s %-7s %-32s %12s %8s %-10s\n", f[1], num(f[2]), f[3], f[4], limit, ratio, f[6]
            }
        }' "$file"
    ;;
*)
    echo "usage: table.sh start|print FILE" >&2
    exit 2
    ;;
esac
