#!/usr/bin/env bash
# Boot benchmark (issue 11, scope 5): QEMU TCG and JitVirt boot the same Linux guest to the same console
# marker, alternately, N runs each; prints median/min/max wall time to the marker, the ratio JitVirt/QEMU,
# and what JitVirt's --json says about where its time went.
#
# usage: bench/boot/boot-bench.sh [-n RUNS] [--vm svm|vmx] [--guest DIR] [--out DIR]
#   -n RUNS     runs of each (default 5)
#   --vm        JitVirt front end (default svm); "none" runs the machine's own vCPU
#   --guest DIR the guest built by make-linux-guest.sh (default $JITVIRT_LINUX_GUEST or ~/.cache/jitvirt/linux-guest-amd64)
#   --out DIR   where consoles and JSON documents go (default a new temporary folder)
# Both boot with -m 256M, -no-reboot and the kernel command line below; the wall time is measured from the
# start of the process to the first appearance of the marker on the console (polled every 20 ms;
# JitVirt stops by itself with --until; QEMU powers off right after). The processor time (user + system, all threads) is printed too:
# on a shared host it says more than wall time. JitVirt runs the built Release CLI (built first if needed).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=5 vm=svm out=""
guest="${JITVIRT_LINUX_GUEST:-$HOME/.cache/jitvirt/linux-guest-amd64}"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    --vm) vm=$2; shift 2 ;;
    --guest) guest=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [-n RUNS] [--vm svm|vmx|none] [--guest DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done

marker="JITVIRT-BOOT-OK"                       # what the guest's /init prints (make-linux-guest.sh MARKER)
append="console=ttyS0 panic=-1 jvexit=poweroff" # the LinuxBoot tests' acceptance command line
kernel="$guest/vmlinuz" initrd="$guest/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "no guest in $guest (build it: make-linux-guest.sh amd64 $guest)" >&2; exit 1; }
out="${out:-$(mktemp -d /tmp/boot-bench.XXXXXX)}"; mkdir -p "$out"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "installing Debian's qemu-system-x86" >&2
  apt-get update -qq >&2 && apt-get install -y -qq qemu-system-x86 >&2
fi

dll="${JITVIRT_CLI_DLL:-src/Cli/bin/Release/net10.0/jitvirt.dll}"  # JITVIRT_CLI_DLL: another build of the CLI
[ -f "$dll" ] || dotnet build src/Cli -c Release -nologo -v q >&2

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f\n", b - a}'; }

# qemu_run LOG: "WALL CPU": seconds from start to the marker, and the processor time (user + system, all
# threads) QEMU used in all; /init powers off right after the marker, so QEMU ends by itself. "fail" if
# there is no marker.
qemu_run() {
  local log=$1 start pid t=""
  start=$(now)
  ( TIMEFORMAT='%U %S'
    { time timeout 1800 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 256M -kernel "$kernel" -initrd "$initrd" \
        -append "$append" </dev/null >"$log" 2>"$log.stderr"; } 2>"$log.cpu" ) &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$t" ] && grep -qs "$marker" "$log"; then t=$(since "$start"); fi
    sleep 0.02
  done
  wait "$pid" 2>/dev/null || true
  [ -n "$t" ] || { grep -qs "$marker" "$log" && t=$(since "$start"); } || { echo fail; return; }
  echo "$t $(awk '{printf "%.2f", $1 + $2}' "$log.cpu")"
}

# jitvirt_run LOG JSON: "WALL CPU" seconds from start to the marker (--until ends the run with status 0
# there; CPU is the run's processor time from --json), or "fail".
jitvirt_run() {
  local log=$1 json=$2 start t vmargs=()
  [ "$vm" = none ] || vmargs=(--vm "$vm")
  start=$(now)
  if dotnet "$dll" run -kernel "$kernel" -initrd "$initrd" -append "$append" -m 256M -no-reboot \
       "${vmargs[@]}" --until "$marker" --json "$json" >"$log" 2>&1; then
    t=$(since "$start")
    echo "$t $(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["time"]["cpuSeconds"])' "$json")"
  else
    echo fail
  fi
}

# stats "t1 t2 ...": "median min max" (seconds, 2 decimals).
stats() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f %.2f %.2f\n", m, v[1], v[NR]}'; }

qemu_wall="" qemu_cpu="" jv_wall="" jv_cpu="" failures=0
for i in $(seq 1 "$runs"); do
  r=$(qemu_run "$out/qemu-$i.log"); echo "run $i: QEMU TCG    wall/CPU $r s" >&2
  if [ "$r" = fail ]; then failures=$((failures + 1)); else read -r w c <<<"$r"; qemu_wall+=" $w"; qemu_cpu+=" $c"; fi
  r=$(jitvirt_run "$out/jitvirt-$i.log" "$out/jitvirt-$i.json"); echo "run $i: JitVirt $vm wall/CPU $r s" >&2
  if [ "$r" = fail ]; then failures=$((failures + 1)); else read -r w c <<<"$r"; jv_wall+=" $w"; jv_cpu+=" $c"; fi
done

ratio() { awk -v j="$1" -v q="$2" 'BEGIN {printf "%.2f", j / q}'; }
echo "Linux boot to '$marker' ($runs runs each, alternating; consoles and JSON in $out)"
read -r qmed qmin qmax <<<"$(stats "$qemu_wall")"
read -r jmed jmin jmax <<<"$(stats "$jv_wall")"
read -r qcmed qcmin qcmax <<<"$(stats "$qemu_cpu")"
read -r jcmed jcmin jcmax <<<"$(stats "$jv_cpu")"
printf "%-22s %8s %8s %8s   %8s %8s %8s\n" "" "median" "min" "max" "CPU med" "min" "max"
printf "%-22s %8s %8s %8s   %8s %8s %8s\n" "QEMU TCG" "$qmed" "$qmin" "$qmax" "$qcmed" "$qcmin" "$qcmax"
printf "%-22s %8s %8s %8s   %8s %8s %8s\n" "JitVirt ($vm)" "$jmed" "$jmin" "$jmax" "$jcmed" "$jcmin" "$jcmax"
echo "ratio JitVirt/QEMU (median wall time to the marker): $(ratio "$jmed" "$qmed")"
echo "ratio JitVirt/QEMU (median processor time to the marker): $(ratio "$jcmed" "$qcmed")"
[ "$failures" -eq 0 ] || echo "failed runs: $failures"

# Where JitVirt's time went, from the last run's --json: exits, counters, and the time split (decision 0011).
last=$(ls "$out"/jitvirt-*.json 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$last" ]; then
  python3 - "$last" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t, exits = d["time"], d["exits"]
counters = {c["key"]: c["value"] for c in d["counters"]}
wall = t["wallSeconds"]
exit_s = exits["totalNs"] / 1e9
print(f"JitVirt split (last run, {sys.argv[1]}):")
print(f"  wall {wall:.2f} s, process CPU {t['cpuSeconds']:.2f} s, guest instructions {counters.get('guestInstructionsRetired', 0):,}"
      f" ({counters.get('guestInstructionsRetired', 0) / wall / 1e6:.0f} M/s of wall time)")
print(f"  exits: {exits['totalSamples']:,} taking {exit_s:.2f} s ({100 * exit_s / wall:.1f}% of wall); top:")
for r in exits["rows"][:6]:
    print(f"    {r['name']:<16} {r['samples']:>10,} {r['totalNs'] / 1e9:8.3f} s")
print(f"  executor counters: " + ", ".join(f"{k}={v:,}" for k, v in counters.items() if k != "guestInstructionsRetired"))
split = d.get("timeSplit")
if split is None:
    print("  no timeSplit in this --json (schema %d): built before the time split" % d["schemaVersion"])
else:
    # The vCPU thread's wall time by activity (sampled every few ms, ExecutionActivity) and the guest
    # instructions charged to each; compilation is measured on its own thread, beside the split.
    print(f"  time split of the vCPU thread ({split['samples']:,} samples over {split['sampledSeconds']:.2f} s):")
    for name, a in split["activities"].items():
        rate = f"{a['instructions'] / a['seconds'] / 1e6:8.0f} M insns/s" if a["seconds"] > 0 else ""
        print(f"    {name:<14} {a['seconds']:8.2f} s {a['percent']:6.1f} %  {a['instructions']:>15,} insns {rate}")
    if split["compileSeconds"] is not None:
        print(f"    IL compilation {split['compileSeconds']:8.2f} s on the {split['compileThread']} thread")
    print("  hottest guest code pages (samples; compiled/interpreted/dispatch share):")
    for p in split["hotPages"][:8]:
        n = p["samples"]
        share = lambda k: 100 * p.get(k, 0) / n
        print(f"    {p['page']:>18} {p['mode']:<6} {n:8,} {100 * n / split['samples']:5.1f} %  "
              f"compiled {share('compiledCode'):5.1f} % interpreted {share('interpreter'):5.1f} % dispatch {share('dispatch'):5.1f} %")
PY
fi
