#!/usr/bin/env bash
# Writes a one-layer OCI image archive of busybox-static to $1 (default
# artifacts/busybox-oci.tar), named $2 (default docker.io/sevshim/busybox:local), whose config's
# Cmd is the JSON array $3 (default ["sh"]; the CRI suite's pause image passes a long sleep), for
# `ctr images import`. Built locally: the machines reach no image registry.
set -euo pipefail
out=${1:-artifacts/busybox-oci.tar}
name=${2:-docker.io/sevshim/busybox:local}
cmd=${3:-'["sh"]'}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-busybox-image.sh: $busybox missing: apt-get install busybox-static" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "make-busybox-image.sh: $busybox is dynamically linked: apt-get install busybox-static" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
root=$work/rootfs; mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

epoch=${SOURCE_DATE_EPOCH:-1700000000}
blobs=$work/layout/blobs/sha256; mkdir -p "$blobs"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1); layersize=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$blobs/$layer"

printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$cmd" "$diffid" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1); configsize=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$blobs/$config"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$configsize" "$layer" "$layersize" > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1); manifestsize=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$blobs/$manifest"

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
  "$manifest" "$manifestsize" "$name" "${name##*:}" > "$work/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$work/layout" -cf "$out" oci-layout index.json blobs
echo "$out"
