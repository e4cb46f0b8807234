#!/bin/bash
# The issue-20 measurement (docs/blockwise.md): one 4096^2 section as an image (2 and 1 threads),
# then the volume by 1 process (2 threads) killed after KILL_AFTER seconds and rerun, then by
# `mpirun -np 2` (1 thread each), and the two outputs compared. Run on an idle machine from the
# repository root after bench/make-big-zarr.py:   bench/blockwise-run.sh [runs/big.zarr]
set -u
VOL=${1:-runs/big.zarr}; W=$(dirname "$VOL")/blockwise-run
P=.build/release/pixelwise; M=models/em-membranes-sstem.h5
rm -rf "$W"; mkdir -p "$W/one"
lscpu | grep "Model name"; grep -o -w -E "avx512f|avx512_bf16|amx_tile" /proc/cpuinfo | sort -u | tr '\n' ' '; echo
bench/.venv/bin/python -c "import zarr, tifffile; tifffile.imwrite('$W/one/s00.tif', zarr.open('$VOL/raw')[0])"
for t in 2 1; do /usr/bin/time -f "one image, $t thread(s): %e s, peak RSS %M KB" $P segment --model $M "$W/one/s00.tif" --out "$W/one-$t" --threads $t 2>&1 | tail -n 2; done
T0=$(date +%s.%N)
$P segment --model $M "$VOL/raw" --out "$W/seg1.zarr/membranes" --threads 2 > "$W/run1a.log" 2>&1 &
PID=$!
sleep ${KILL_AFTER:-150}; kill -KILL $PID; wait $PID 2>/dev/null
echo "1 process killed after $(python3 -c "print(round($(date +%s.%N) - $T0, 1))") s, $(ls "$W/seg1.zarr/membranes/.pixelwise-blocks" | grep -c done-) blocks done"
/usr/bin/time -f "1 process, rerun: %e s, peak RSS %M KB" $P segment --model $M "$VOL/raw" --out "$W/seg1.zarr/membranes" --threads 2 2>&1 | tail -n 3
/usr/bin/time -f "2 processes: %e s" mpirun --allow-run-as-root -np 2 /usr/bin/time -f "  a process: %e s, peak RSS %M KB" \
    $P segment --model $M "$VOL/raw" --out "$W/seg2.zarr/membranes" 2>&1 | tail -n 5
diff -r -q -x .pixelwise-blocks "$W/seg1.zarr" "$W/seg2.zarr" && echo "outputs identical"
