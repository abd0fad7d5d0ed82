#!/usr/bin/env bash
# The main job's first run on a fresh machine, timed: a bare Debian bookworm (debootstrap's minbase:
# no Java, Maven, Python or Jupyter) in a chroot, a clone of this repository in it, `bin/quickstart`
# run there as root with an empty environment, so that its apt install, the cold Maven repository,
# DJL's natives and the notebook all count. Prints the wall time beside the goal (2 minutes) and
# the quickstart's own summary.
#   sudo bench/quickstart/run.sh        needs root, debootstrap (apt-get install debootstrap) and
#                                       the network to Debian and Maven Central
# Env: ROOTFS (the chroot, default a new folder under /tmp; removed at the end unless KEEP=1),
#      MIRROR (http://deb.debian.org/debian), GOAL_S (120)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0; }
[[ $(id -u) == 0 ]] || { echo "bench/quickstart: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "bench/quickstart: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
MIRROR=${MIRROR:-http://deb.debian.org/debian}
GOAL_S=${GOAL_S:-120}
ROOTFS=${ROOTFS:-$(mktemp -d /tmp/jlora-quickstart-rootfs.XXXXXX)}
cleanup() {
  for m in proc sys dev; do umount -R "$ROOTFS/$m" 2>/dev/null || true; done
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$ROOTFS"
}
trap cleanup EXIT

echo "== debootstrap --variant=minbase bookworm $ROOTFS (not timed) =="
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" > "$ROOTFS.debootstrap.log" 2>&1 \
  || { tail -n 5 "$ROOTFS.debootstrap.log" >&2; exit 1; }
# what a fresh machine of this site has beside Debian's own: its name server and the extra CA
# certificates of its network (an HTTPS proxy's), picked up when ca-certificates gets installed
cp /etc/resolv.conf "$ROOTFS/etc/"
mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/" 2>/dev/null || true
mount -t proc proc "$ROOTFS/proc"; mount --rbind /sys "$ROOTFS/sys"; mount --rbind /dev "$ROOTFS/dev"
git clone -q "$REPO" "$ROOTFS/root/jlora"
echo "== bin/quickstart in the chroot, timed ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)) =="
start=$(date +%s.%N)
rc=0
chroot "$ROOTFS" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 /bin/bash -c 'cd /root/jlora && bin/quickstart' > "$ROOTFS.quickstart.log" 2>&1 || rc=$?
end=$(date +%s.%N)
tail -n 3 "$ROOTFS.quickstart.log"
awk -v s="$start" -v e="$end" -v g="$GOAL_S" -v rc="$rc" -v n="$(grep -c '^Setting up' "$ROOTFS.quickstart.log")" \
  'BEGIN { printf "quickstart-result exit=%d wall_s=%.1f goal_s=%d debian_packages_installed=%d\n", rc, e - s, g, n }'
echo "logs: $ROOTFS.debootstrap.log $ROOTFS.quickstart.log"
exit "$rc"
