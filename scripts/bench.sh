#!/usr/bin/env bash
# The sevshim benchmark (issue 6): cold start, per-phase breakdown, exec latency, stdout
# throughput, memory and density, for io.containerd.sevshim.v2 next to io.containerd.runc.v2 and
# next to the floor (bare QEMU, same kernel, machine and devices as the shim's pods, booting an
# initramfs whose /init only prints a marker). Writes bench/results/{results.md,breakdown.svg,*.tsv}.
#
#   scripts/bench.sh (as root) [--skip-build] [--out DIR]
#
# Knobs (environment): BENCH_REPS (cold starts per runtime and floor boots, default 5),
# BENCH_ECHO_REPS (sevshim cold starts of `echo` for the first-output phase, default 2),
# BENCH_EXEC_REPS (default 10), BENCH_TPUT_REPS (default 2), BENCH_TPUT_MIB (default 256),
# BENCH_DENSITY (pods started at once, default 8), BENCH_TIMEOUT (seconds per ctr call, 180;
# BENCH_EXEC_TIMEOUT 60 for an exec of true, BENCH_TPUT_TIMEOUT 600 for a throughput run),
# BENCH_VCPUS / BENCH_MEMORY_MIB (pod VM size, 1 / 512 like the tests), SEVSHIM_SKIP_BUILD=1,
# BENCH_RAW_SIZES (guest write sizes of the raw agent channel run, default "4096 65536 1048576";
# empty skips it), BENCH_RAW_REPS (boots per size, default 2), BENCH_SETTLE (seconds before each
# memory reading, default 3), BENCH_NET_MIB (TCP bytes pod to node, default 256), BENCH_NET_REPS
# (default 2), BENCH_CONNECTS (timed TCP connects node to pod, default 20), BENCH_SECTIONS (which
# parts run, default "coldstart raw exec density net"; the report leaves out what did not run),
# BENCH_STDIO (the shim's agent.stdio: "link", the default, or "grpc", to compare the two designs).
#
# It starts its own containerd (own root, state, sockets, under a temp folder) with artifacts/bin
# first on PATH, never the system one, and removes everything it made on exit, failure included.
set -euo pipefail

# Everything runs inside main, which bash reads whole before running: editing this file while a
# bench runs cannot derail it.
main() {
cd "$(dirname "$0")/.."
repo=$(pwd)

skip_build=${SEVSHIM_SKIP_BUILD:-0}
out=$repo/bench/results
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) skip_build=1 ;;
    --out) out=$(realpath -m "$2"); shift ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

reps=${BENCH_REPS:-5}
echo_reps=${BENCH_ECHO_REPS:-2}
exec_reps=${BENCH_EXEC_REPS:-10}
tput_reps=${BENCH_TPUT_REPS:-2}
tput_mib=${BENCH_TPUT_MIB:-256}
density=${BENCH_DENSITY:-8}
tmo=${BENCH_TIMEOUT:-180}
exec_tmo=${BENCH_EXEC_TIMEOUT:-60}
tput_tmo=${BENCH_TPUT_TIMEOUT:-600}
vcpus=${BENCH_VCPUS:-1}
memory_mib=${BENCH_MEMORY_MIB:-512}
settle=${BENCH_SETTLE:-3}
raw_sizes=${BENCH_RAW_SIZES-4096 65536 1048576}
raw_reps=${BENCH_RAW_REPS:-2}
net_mib=${BENCH_NET_MIB:-256}
net_reps=${BENCH_NET_REPS:-2}
connects=${BENCH_CONNECTS:-20}
sections=" ${BENCH_SECTIONS:-coldstart raw exec density net} "
stdio=${BENCH_STDIO:-link}
runs() { [[ $sections == *" $1 "* ]]; }

if [ "$(id -u)" -ne 0 ]; then
  echo "bench.sh: must run as root (containerd, QEMU, mounts); run it as root (with sudo: sudo $0)" >&2
  exit 1
fi
# A fresh machine gets its packages here, as with scripts/test.sh (SEVSHIM_SKIP_DEPS=1 skips it);
# --skip-build means artifacts/ was built, so the packages are there.
if [ "$skip_build" != 1 ] && [ "${SEVSHIM_SKIP_DEPS:-0}" != 1 ]; then
  scripts/deps.sh
fi
for tool in containerd ctr runc qemu-system-x86_64 cpio busybox timeout tail; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool missing: run scripts/deps.sh as root" >&2; exit 1; }
done

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

if [ "$skip_build" != 1 ]; then
  log "building (scripts/build.sh; SEVSHIM_SKIP_BUILD=1 or --skip-build skips this)"
  scripts/build.sh >&2
fi
guest=$repo/artifacts/guest
shim=$repo/artifacts/bin/containerd-shim-sevshim-v2
for f in "$shim" "$guest/vmlinuz" "$guest/initrd.img" "$guest/manifest.json"; do
  [ -e "$f" ] || { echo "bench.sh: $f missing: run scripts/build.sh (or drop --skip-build)" >&2; exit 1; }
done
log "building the report tool"
dotnet build bench/SevBench/SevBench.csproj -nologo -clp:ErrorsOnly -c Release -o "$repo/bench/SevBench/bin/out" >&2

# --- private world ------------------------------------------------------------------------------
token=b$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d "/tmp/sevbench-$token.XXXX")
raw=$work/raw
mkdir -p "$raw" "$work/fifo" "$work/s" "$work/floor"
addr=$work/c.sock
ns=sevbench
image=docker.io/sevshim/busybox:local
containerd_pid=
watchers=()
ids_file=$work/ids

# The caller's stdout and stderr, for the clean-up (a trap can fire inside a redirected command).
exec 3>&1 4>&2
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  log "cleaning up"
  for p in "${watchers[@]}"; do kill "$p" 2>/dev/null; done
  if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
    # In parallel, with short timeouts: a hung pod must not hold the others' clean-up (its shim
    # and QEMU are killed below in any case).
    local pids=() id
    for id in $(sort -u "$ids_file" 2>/dev/null); do
      ( timeout -k 5 30 ctr -a "$addr" -n "$ns" task kill -s SIGKILL "$id" >/dev/null 2>&1
        timeout -k 5 60 ctr -a "$addr" -n "$ns" task delete -f "$id" >/dev/null 2>&1
        timeout -k 5 30 ctr -a "$addr" -n "$ns" container delete "$id" >/dev/null 2>&1 ) &
      pids+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p"; done
    kill -TERM "$containerd_pid"
    for _ in $(seq 60); do kill -0 "$containerd_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$containerd_pid" 2>/dev/null
  fi
  # Shims and QEMUs of this run name the token (container ids, -name sevshim-<id>) or the folder.
  for pid in $(own_pids); do kill -KILL "$pid" 2>/dev/null; done
  sleep 1
  grep -E " ($work|/run/sevshim/$token)[^ ]*" /proc/self/mounts | cut -d' ' -f2 | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null
  done
  rm -rf /run/sevshim/"$token"-* 2>/dev/null
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "sevbench-$token"); do ip netns del "$n"; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $work (BENCH_KEEP=1)"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Processes whose command line names this run's token or folder (one grep over every argv).
own_pids() {
  grep -lzE -- "$token-|$work" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | grep -vxE "$$|$BASHPID" || true
}
# Processes with an argument exactly <arg>.
pids_with_arg() { grep -lzxF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true; }
# The shim daemon of container <id> ("-id <id>" in containerd's shim flags) and the pod's QEMU
# ("-name sevshim-<id>").
shim_pid_of() {
  local p
  for p in $(pids_with_arg "$1"); do
    case "$(tr '\0' '\n' 2>/dev/null </proc/"$p"/cmdline | head -1)" in *containerd-shim-*) echo "$p"; return 0 ;; esac
  done
}
qemu_pid_of() { pids_with_arg "sevshim-$1" | head -1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# QEMU's own memory: its RSS outside the anonymous mappings of 128 MiB or more, which are the
# guest's RAM (vm.memory_mib >= 128) and, under TCG, the translated-code buffer. This is what a
# pod costs beyond its guest memory, the part RuntimeClass overhead must add to vm.memory_mib.
qemu_own_kib() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF == 5); next }
       /^Size:/ { big = anon && $2 >= 131072; next }
       /^Rss:/ { if (!big) own += $2 }
       END { print own + 0 }' "/proc/$1/smaps" 2>/dev/null || echo 0
}
mem_available_kib() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
now() { echo "$EPOCHREALTIME"; }

# ctr forwards SIGTERM to the container process, so a hung call needs timeout's KILL.
ctr_() { timeout -k 10 "$tmo" ctr -a "$addr" -n "$ns" "$@"; }

# Host-timestamps every line of a pod's guest console (the agent and the guest init log there;
# the shim removes the file with the pod, so it is followed while it grows).
# Sets WATCH_PID (the tail; killing it ends the stamping loop too).
WATCH_PID=
watch_console() {
  local id=$1 dest=$2
  tail -n +1 -F -s 0.02 "/run/sevshim/$id/console.log" 2>/dev/null > >(
    exec >"$dest"
    while IFS= read -r line; do printf '%s\t%s\n' "$EPOCHREALTIME" "${line%$'\r'}"; done
  ) &
  WATCH_PID=$!
  watchers+=("$WATCH_PID")
}
stop_watch() { kill "$1" 2>/dev/null || true; }

cat >"$work/config.toml" <<EOF
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$addr"
[ttrpc]
  address = "$addr.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/opt"
EOF
# Same pod VM as the end-to-end tests: TCG, no SEV (confidential.mode none), the built guest.
cat >"$work/sevshim.toml" <<EOF
[vm]
kernel = "$guest/vmlinuz"
initrd = "$guest/initrd.img"
vcpus = $vcpus
memory_mib = $memory_mib
[confidential]
mode = "none"
[agent]
stdio = "$stdio"
[timeouts]
boot_seconds = 900
agent_connect_seconds = 300
[log]
level = "info"
EOF

log "starting a private containerd in $work"
PATH=$repo/artifacts/bin:$PATH SEVSHIM_CONFIG=$work/sevshim.toml SEVSHIM_SOCKET_DIR=$work/s \
  containerd --config "$work/config.toml" </dev/null >>"$raw/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 120); do
  timeout -k 10 10 ctr -a "$addr" version >/dev/null 2>&1 && break
  kill -0 "$containerd_pid" 2>/dev/null || { tail -20 "$raw/containerd.log" >&2; exit 1; }
  sleep 0.5
done
scripts/make-busybox-image.sh "$work/busybox-oci.tar" "$image" >/dev/null
ctr_ images import "$work/busybox-oci.tar" >/dev/null

{
  echo "date	$(date -u +%FT%TZ)"
  echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores	$(nproc)"
  echo "memory_mib	$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))"
  echo "kernel	$(uname -r)"
  echo "qemu	$(qemu-system-x86_64 --version | head -1)"
  echo "containerd	$(containerd --version | cut -d' ' -f3)"
  echo "accel	tcg"
  echo "pod_vm	$vcpus vCPU, $memory_mib MiB, confidential.mode none"
  echo "commit	$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "reps	$reps cold starts, $exec_reps execs, $tput_reps x $tput_mib MiB, density $density, raw channel $raw_reps x sizes ${raw_sizes:-none}, network $net_reps x $net_mib MiB and $connects connects; stdio $stdio; sections:$sections"
} >"$raw/machine.tsv"

# --- cold start ---------------------------------------------------------------------------------
# One `ctr run --rm IMAGE ID true`; appends "runtime rep id t0 t1 rc" to coldstart.tsv.
cold_start() {
  local runtime=$1 rep=$2 short=$3 id="$token-c$3$2" t0 t1 rc=0 w=
  echo "$id" >>"$ids_file"
  if [ "$runtime" = io.containerd.sevshim.v2 ]; then watch_console "$id" "$raw/console-$id.log"; w=$WATCH_PID; fi
  t0=$(now)
  ctr_ run --rm --runtime "$runtime" --fifo-dir "$work/fifo" "$image" "$id" true </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || rc=$?
  t1=$(now)
  if [ -n "$w" ]; then sleep 0.2; stop_watch "$w"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$id" "$t0" "$t1" "$rc" >>"$raw/coldstart.tsv"
  [ "$rc" = 0 ] || { log "cold start $id ($runtime) failed: rc $rc"; ctr_ task delete -f "$id" >/dev/null 2>&1 || true; ctr_ container delete "$id" >/dev/null 2>&1 || true; }
}

# The same with `echo`, timing the first stdout byte ctr reads (the "first output" phase; `true`
# prints nothing); appends "runtime rep id t0 t_first t1 rc" to coldstart-echo.tsv.
cold_start_echo() {
  local runtime=$1 rep=$2 id="$token-o$2" t0 t1 tf rc=0
  echo "$id" >>"$ids_file"
  t0=$(now)
  tf=$(set -o pipefail; ctr_ run --rm --runtime "$runtime" --fifo-dir "$work/fifo" "$image" "$id" echo sevbench-first-output </dev/null 2>>"$raw/ctr-errors.log" \
    | { dd bs=1 count=1 of=/dev/null status=none; echo "$EPOCHREALTIME"; cat >/dev/null; }) || rc=$?
  t1=$(now)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$id" "$t0" "$tf" "$t1" "$rc" >>"$raw/coldstart-echo.tsv"
}

# --- floor (bare QEMU) --------------------------------------------------------------------------
# The shim's own QEMU command line (logged by the shim) with the pod's paths swapped for a private
# folder, the console on a pipe and an initramfs whose /init only prints a marker and powers off.
floor_args=()
prepare_floor() {
  local qemu_line msg args pod_dir qargs a i fl=$work/floor
  qemu_line=$(grep -F "QEMU started (pid" "$raw/containerd.log" | grep -F "$token-cs" | tail -1 || true)
  if [ -z "$qemu_line" ]; then
    log "floor: no 'QEMU started' line from the shim in containerd's log; no floor figures"
    return 0
  fi
  mkdir -p "$fl/init/bin" "$fl/init/dev" "$fl/share" "$fl/init/proc"
  cp /bin/busybox "$fl/init/bin/busybox"
  mknod -m 600 "$fl/init/dev/console" c 5 1
  printf '#!/bin/busybox sh\n/bin/busybox echo SEVBENCH-FLOOR-UP\n/bin/busybox poweroff -f\n' >"$fl/init/init"
  chmod 755 "$fl/init/init"
  (cd "$fl/init" && find . | cpio --quiet -o -H newc -R 0:0) >"$fl/initrd.img"
  # "QEMU started (pid N): ARGS" in the JSON line's rendered message; strings come quoted.
  msg=$(sed -E 's/.*"@m":"QEMU started \(pid [0-9]+\): (.*)","@i".*/\1/; s/\\"//g' <<<"$qemu_line")
  append=${msg#*-append }
  args=${msg%% -append *}
  pod_dir=$(grep -oE "/run/sevshim/$token-cs[^/ ,]*" <<<"$args" | head -1)
  read -r -a qargs <<<"$args"
  floor_args=()
  i=0
  while [ $i -lt ${#qargs[@]} ]; do
    a=${qargs[$i]}
    case "$a" in
      -initrd) floor_args+=(-initrd "$fl/initrd.img"); i=$((i + 2)); continue ;;
      file,id=console0,*) a="file,id=console0,path=/dev/stdout" ;;
    esac
    floor_args+=("${a//$pod_dir/$fl}")
    i=$((i + 1))
  done
  floor_args+=(-append "$append")
  printf '%s\n' "${floor_args[@]}" >"$raw/floor-qemu-args.txt"
}
# One floor boot: time to the marker on the console, and to QEMU's exit.
floor_boot() {
  local rep=$1 t0 t1 tm rc=0
  [ ${#floor_args[@]} -gt 0 ] || return 0
  rm -f "$work/floor"/*.sock
  t0=$(now)
  tm=$(timeout -k 10 "$tmo" qemu-system-x86_64 "${floor_args[@]}" </dev/null 2>>"$raw/floor-errors.log" \
    | while IFS= read -r line; do case "$line" in *SEVBENCH-FLOOR-UP*) echo "$EPOCHREALTIME" ;; esac; done) || rc=$?
  t1=$(now)
  printf '%s\t%s\t%s\t%s\t%s\n' "$rep" "$t0" "${tm:-}" "$t1" "$rc" >>"$raw/floor.tsv"
}

# --- raw agent channel ----------------------------------------------------------------------------
# The floor's QEMU command line (the pod's devices and chardev socket) booting an initramfs whose
# /init loads only virtio_console (modules taken from the guest image) and writes zeros into the
# agent's port with dd; SevBench reads the chardev socket on the host. The ceiling for stdout.
raw_args=()
raw_sock=
prepare_raw() {
  local rw=$work/raw-channel a i magic unpack
  [ ${#floor_args[@]} -gt 0 ] && [ -n "$raw_sizes" ] || return 0
  mkdir -p "$rw/init/bin" "$rw/init/dev" "$rw/init/proc" "$rw/init/sys"
  cp /bin/busybox "$rw/init/bin/busybox"
  mknod -m 600 "$rw/init/dev/console" c 5 1
  magic=$(od -An -tx1 -N4 "$guest/initrd.img" | tr -d ' ')
  case "$magic" in
    02214c18) unpack="lz4 -dc" ;;
    1f8b*) unpack="gzip -dc" ;;
    *) unpack="cat" ;;
  esac
  # The image is merged-/usr (lib -> usr/lib): the modules are stored under usr/lib/modules.
  if ! (cd "$rw/init" && $unpack "$guest/initrd.img" | cpio --quiet -id '*lib/modules/*') 2>>"$raw/raw-channel-errors.log"; then
    log "raw channel: could not take the kernel modules from $guest/initrd.img ($unpack); no raw channel figures"
    return 0
  fi
  [ -d "$rw/init/usr/lib/modules" ] && ln -s usr/lib "$rw/init/lib"
  cat >"$rw/init/init" <<'EOS'
#!/bin/busybox sh
b=/bin/busybox
$b mount -t proc proc /proc; $b mount -t sysfs sysfs /sys; $b mount -t devtmpfs devtmpfs /dev
# Built in with Debian's 6.12 (nothing to load, and busybox modprobe then fails: ignored).
$b modprobe -a virtio_pci virtio_console 2>/dev/null
bs=65536; count=16
for w in $($b cat /proc/cmdline); do case $w in sevbench.bs=*) bs=${w#*=} ;; sevbench.count=*) count=${w#*=} ;; esac; done
port=
for _ in $($b seq 100); do
  for d in /sys/class/virtio-ports/*; do [ "$($b cat "$d/name" 2>/dev/null)" = sevagent.0 ] && port=/dev/${d##*/}; done
  [ -n "$port" ] && break
  $b sleep 0.1
done
$b echo "SEVBENCH-RAW port=$port bs=$bs count=$count"
rc=none
[ -n "$port" ] && { $b dd if=/dev/zero of="$port" bs="$bs" count="$count" 2>/dev/null; rc=$?; }
$b echo "SEVBENCH-RAW-DONE rc=$rc"
$b poweroff -f
EOS
  chmod 755 "$rw/init/init"
  (cd "$rw/init" && find . | cpio --quiet -o -H newc -R 0:0) >"$rw/initrd.img"
  raw_args=()
  i=0
  while [ $i -lt ${#floor_args[@]} ]; do
    a=${floor_args[$i]}
    case "$a" in
      "$work/floor/initrd.img") a=$rw/initrd.img ;;
      socket,id=agent0,*) raw_sock=$(sed -E 's/.*,path=([^,]*).*/\1/' <<<"$a") ;;
    esac
    raw_args+=("$a")
    i=$((i + 1))
  done
  [ -n "$raw_sock" ] || { log "raw channel: no agent0 chardev socket in the pod's QEMU line; no raw channel figures"; raw_args=(); }
}
# One raw channel boot writing $tput_mib MiB in blocks of $1; appends "size rep first end bytes rc".
raw_channel() {
  local bs=$1 rep=$2 bytes=$((tput_mib * 1024 * 1024)) count res rc=0 last=$((${#raw_args[@]} - 1))
  [ ${#raw_args[@]} -gt 0 ] || return 0
  count=$((bytes / bs))
  rm -f "$raw_sock"
  dotnet "$repo/bench/SevBench/bin/out/SevBench.dll" rawread "$raw_sock" "$((count * bs))" "$tmo" >"$work/raw-channel/read.out" 2>>"$raw/raw-channel-errors.log" &
  local reader=$!
  timeout -k 10 "$tmo" qemu-system-x86_64 "${raw_args[@]:0:$last}" "${raw_args[$last]} sevbench.bs=$bs sevbench.count=$count" \
    </dev/null >"$raw/raw-channel-console-$bs-$rep.log" 2>>"$raw/raw-channel-errors.log" || rc=$?
  if ! wait "$reader" && [ "$rc" = 0 ]; then rc=1; fi
  read -r first end n <"$work/raw-channel/read.out" || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$bs" "$rep" "${first:-}" "${end:-}" "${n:-0}" "$rc" >>"$raw/raw-channel.tsv"
  log "raw channel, writes of $bs bytes, $rep/$raw_reps: ${n:-0} bytes, rc $rc"
}

# --- cold-start runs ----------------------------------------------------------------------------
# The floor and the raw channel copy the QEMU line of a sevshim pod from containerd's log, so the
# warm-up (which writes it) comes first.
if runs coldstart || runs raw; then
log "cold start: a warm-up run of each runtime (not counted)"
cold_start io.containerd.runc.v2 0 r
cold_start io.containerd.sevshim.v2 0 s
mv "$raw/coldstart.tsv" "$raw/warmup.tsv"
prepare_floor
fi
if runs coldstart; then
# Interleaved, so that the machine's changing load falls on all three alike.
for rep in $(seq "$reps"); do
  log "cold start $rep/$reps: runc, sevshim, floor"
  cold_start io.containerd.runc.v2 "$rep" r
  cold_start io.containerd.sevshim.v2 "$rep" s
  floor_boot "$rep"
done
for rep in $(seq "$echo_reps"); do
  log "cold start with echo (first output) $rep/$echo_reps"
  cold_start_echo io.containerd.sevshim.v2 "$rep"
done
fi
if runs raw; then
prepare_raw
for rep in $(seq "$raw_reps"); do
  for bs in $raw_sizes; do raw_channel "$bs" "$rep"; done
done
fi

# --- exec, throughput, memory -------------------------------------------------------------------
# A long-running container (its own pod) per runtime; a failed or hung exec (a known intermittent
# agent hang) is recorded and the pod replaced, at most 3 times per runtime.
pod_gen=0
POD_ID=
POD_WATCH=
start_pod() {
  local runtime=$1 short=$2
  pod_gen=$((pod_gen + 1))
  POD_ID="$token-x${short:0:1}$pod_gen"
  POD_WATCH=
  echo "$POD_ID" >>"$ids_file"
  if [ "$short" = sevshim ]; then watch_console "$POD_ID" "$raw/console-$POD_ID.log"; POD_WATCH=$WATCH_PID; fi
  if ! ctr_ run -d --runtime "$runtime" --fifo-dir "$work/fifo" "$image" "$POD_ID" sleep 100000 </dev/null >/dev/null 2>>"$raw/ctr-errors.log"; then
    log "could not start $POD_ID with $runtime"
    return 1
  fi
}
stop_pod() {
  local p
  timeout -k 10 60 ctr -a "$addr" -n "$ns" task kill -s SIGKILL "$POD_ID" >/dev/null 2>&1 || true
  for _ in $(seq 60); do timeout -k 10 30 ctr -a "$addr" -n "$ns" task ls 2>/dev/null | grep -q "^$POD_ID .*STOPPED" && break; sleep 0.5; done
  if ! timeout -k 10 120 ctr -a "$addr" -n "$ns" task delete -f "$POD_ID" >/dev/null 2>&1; then
    # A hung pod: end its shim and QEMU (their argv name the id), then let containerd clean up.
    for p in $(own_pids); do tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$POD_ID" && kill -KILL "$p" 2>/dev/null; done
    timeout -k 10 60 ctr -a "$addr" -n "$ns" task delete -f "$POD_ID" >/dev/null 2>&1 || true
  fi
  timeout -k 10 60 ctr -a "$addr" -n "$ns" container delete "$POD_ID" >/dev/null 2>&1 || true
  if [ -n "$POD_WATCH" ]; then sleep 1; stop_watch "$POD_WATCH"; fi
}
# After a failed call: replace the pod; returns 1 when the runtime has failed too often.
replace_pod() {
  failures=$((failures + 1))
  log "$1 failed (rc $2) in $POD_ID; replacing the pod ($failures/3)"
  stop_pod
  [ "$failures" -lt 3 ] && start_pod "$runtime" "$short"
}

tput_bytes=$((tput_mib * 1024 * 1024))
for runtime in io.containerd.runc.v2 io.containerd.sevshim.v2; do
  runs exec || break
  short=${runtime#io.containerd.}; short=${short%%.*}
  failures=0
  log "exec and throughput: $runtime"
  start_pod "$runtime" "$short" || { stop_pod; continue; }
  for rep in $(seq "$exec_reps"); do
    rc=0; t0=$(now)
    timeout -k 10 "$exec_tmo" ctr -a "$addr" -n "$ns" task exec --fifo-dir "$work/fifo" --exec-id "e$rep" "$POD_ID" true </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || rc=$?
    t1=$(now)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$t0" "$t1" "$rc" "$POD_ID" >>"$raw/exec.tsv"
    if [ "$rc" != 0 ]; then replace_pod "exec $rep" "$rc" || break; fi
  done
  [ "$failures" -lt 3 ] || { log "$runtime: too many failures; no throughput or memory figures"; continue; }
  # The shim gives its GC's unused memory back a second or two after a burst (MemoryTrimmer):
  # read the memory once it has settled, as a pod left alone would show it.
  mem_line() {
    local shim_pid qemu_pid
    sleep "$settle"
    shim_pid=$(shim_pid_of "$POD_ID")
    qemu_pid=$(qemu_pid_of "$POD_ID")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$1" "${shim_pid:+$(rss_kib "$shim_pid")}" "${qemu_pid:+$(rss_kib "$qemu_pid")}" "$POD_ID" "${qemu_pid:+$(qemu_own_kib "$qemu_pid")}" >>"$raw/memory.tsv"
  }
  mem_line idle
  for rep in $(seq "$tput_reps"); do
    rc=0; t0=$(now)
    res=$(set -o pipefail; timeout -k 10 "$tput_tmo" ctr -a "$addr" -n "$ns" task exec --fifo-dir "$work/fifo" --exec-id "t$rep" "$POD_ID" head -c "$tput_bytes" /dev/zero </dev/null 2>>"$raw/ctr-errors.log" \
      | { dd bs=1 count=1 of=/dev/null status=none; t1=$EPOCHREALTIME; n=$(wc -c); echo "$t1 $((n + 1)) $EPOCHREALTIME"; }) || rc=$?
    read -r tf n te <<<"${res:-0 0 0}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$t0" "$tf" "$te" "$n" "$rc" >>"$raw/throughput.tsv"
    log "throughput $runtime $rep/$tput_reps: $n bytes, rc $rc"
    if [ "$rc" != 0 ]; then replace_pod "throughput $rep" "$rc" || break; fi
  done
  mem_line after-throughput
  stop_pod
done

# --- density ------------------------------------------------------------------------------------
for runtime in io.containerd.runc.v2 io.containerd.sevshim.v2; do
  runs density || break
  short=${runtime#io.containerd.}; short=${short%%.*}
  log "density: $density pods at once with $runtime"
  before=$(mem_available_kib)
  t0=$(now)
  pids=()
  for i in $(seq "$density"); do
    id="$token-d${short:0:1}$i"
    echo "$id" >>"$ids_file"
    ( rc=0
      timeout -k 10 900 ctr -a "$addr" -n "$ns" run -d --runtime "$runtime" --fifo-dir "$work/fifo" "$image" "$id" sleep 100000 </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || rc=$?
      printf '%s\t%s\t%s\t%s\t%s\n' "$runtime" "$id" "$t0" "$EPOCHREALTIME" "$rc" >>"$raw/density.tsv" ) &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(now)
  after=$(mem_available_kib)
  rss_sum=0
  for i in $(seq "$density"); do
    id="$token-d${short:0:1}$i"
    for p in $(qemu_pid_of "$id") $(shim_pid_of "$id"); do rss_sum=$((rss_sum + $(rss_kib "$p"))); done
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$t0" "$t1" "$before" "$after" "$rss_sum" >>"$raw/density-total.tsv"
  pids=()
  for i in $(seq "$density"); do
    id="$token-d${short:0:1}$i"
    ( ctr_ task kill -s SIGKILL "$id" >/dev/null 2>&1; sleep 2; ctr_ task delete -f "$id" >/dev/null 2>&1; ctr_ container delete "$id" >/dev/null 2>&1 ) &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
done

# --- pod network ----------------------------------------------------------------------------------
# TCP between a pod and the node (issue 12), on plumbing of this run's own, as CNI's bridge plugin
# would leave it: a "node" network namespace and, per runtime, a pod namespace holding eth0 of a
# veth pair (MTU 1500) whose other end is in the node namespace, given to `ctr run --with-ns`.
# The pod sends $net_mib MiB with busybox nc to a listener in the node namespace (first byte to
# EOF, as for stdout); then the node connects $connects times to busybox httpd in the pod, each
# connect one `busybox nc` with an empty stdin timed alone (it connects, then closes at its
# stdin's EOF; its process start counts, alike for both runtimes; 1.35's nc has no -z).
# No traffic leaves these namespaces.
net_node=sevbench-$token-node
net_bytes=$((net_mib * 1024 * 1024))
net_in() { ip netns exec "$net_node" "$@"; }
if runs net; then
  ip netns add "$net_node"
  ip -n "$net_node" link set lo up
  mkfifo "$work/net-hold"
  subnet=250
  for runtime in io.containerd.runc.v2 io.containerd.sevshim.v2; do
    short=${runtime#io.containerd.}; short=${short%%.*}
    subnet=$((subnet + 1))
    pod_ns=sevbench-$token-$short
    node_ip=10.$subnet.0.1
    pod_ip=10.$subnet.0.2
    ip netns add "$pod_ns"
    ip -n "$pod_ns" link set lo up
    ip link add name "v$short" netns "$net_node" type veth peer name eth0 netns "$pod_ns"
    ip -n "$net_node" addr add "$node_ip/24" dev "v$short"
    ip -n "$net_node" link set "v$short" up
    ip -n "$pod_ns" addr add "$pod_ip/24" dev eth0
    ip -n "$pod_ns" link set eth0 up
    ip -n "$pod_ns" route add default via "$node_ip"
    log "pod network: $runtime"
    POD_ID="$token-n${short:0:1}"
    POD_WATCH=
    echo "$POD_ID" >>"$ids_file"
    if ! ctr_ run -d --runtime "$runtime" --with-ns "network:/var/run/netns/$pod_ns" --fifo-dir "$work/fifo" "$image" "$POD_ID" sleep 100000 </dev/null >/dev/null 2>>"$raw/ctr-errors.log"; then
      log "could not start $POD_ID with $runtime"
      stop_pod; ip netns del "$pod_ns"; continue
    fi
    ctr_ task exec --fifo-dir "$work/fifo" --exec-id web "$POD_ID" httpd -p 5002 -h / </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || true
    for _ in $(seq 120); do net_in /bin/busybox nc -w 2 "$pod_ip" 5002 </dev/null >/dev/null 2>&1 && break; sleep 0.5; done
    for rep in $(seq "$connects"); do
      rc=0; t0=$(now)
      net_in /bin/busybox nc -w 10 "$pod_ip" 5002 </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || rc=$?
      t1=$(now)
      printf '%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$t0" "$t1" "$rc" >>"$raw/connect.tsv"
    done
    for rep in $(seq "$net_reps"); do
      # The listener's stdin is a FIFO held open (never EOF: busybox nc ends at its stdin's EOF).
      exec 7<>"$work/net-hold"
      ( net_in /bin/busybox nc -l -p 5001 <&7 | { dd bs=1 count=1 of=/dev/null status=none; t1=$EPOCHREALTIME; n=$(wc -c); echo "$t1 $((n + 1)) $EPOCHREALTIME"; } >"$work/net-recv" ) &
      listener=$!
      for _ in $(seq 100); do net_in ss -Hltn 'sport = :5001' | grep -q . && break; sleep 0.1; done
      rc=0; t0=$(now)
      timeout -k 10 "$tput_tmo" ctr -a "$addr" -n "$ns" task exec --fifo-dir "$work/fifo" --exec-id "n$rep" "$POD_ID" sh -c "head -c $net_bytes /dev/zero | nc $node_ip 5001" </dev/null >/dev/null 2>>"$raw/ctr-errors.log" || rc=$?
      if ! timeout 30 tail --pid="$listener" -f /dev/null; then
        [ "$rc" != 0 ] || rc=1
        kill "$listener" 2>/dev/null || true
      fi
      exec 7>&-
      read -r tf n te <"$work/net-recv" || true
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$runtime" "$rep" "$t0" "${tf:-0}" "${te:-0}" "${n:-0}" "$rc" >>"$raw/net.tsv"
      log "pod to node $runtime $rep/$net_reps: ${n:-0} bytes, rc $rc"
    done
    stop_pod
    ip netns del "$pod_ns"
  done
  ip netns del "$net_node"
fi

echo "load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw/machine.tsv"

# --- report -------------------------------------------------------------------------------------
mkdir -p "$out"
log "writing the report to $out"
dotnet "$repo/bench/SevBench/bin/out/SevBench.dll" report "$raw" "$out"
mkdir -p "$out/raw"
rm -f "$out/raw"/*
# Everything recorded (containerd's log with the shims' lines, the pods' consoles) for a look at
# failures; bench/results/raw is not committed.
cp "$raw"/* "$out/raw/" 2>/dev/null || true
cat "$out/results.md"
}

main "$@"
