#!/bin/sh
# Installs the Debian 12 packages that building, running and testing need.
# Idempotent: when everything is present it only asks dpkg, which is quick.
# (dpkg-dev: apt-get source, with which tools/fetch-lwip unpacks lwIP; librsvg2-bin: rsvg-convert, for make trace's PNG.)
set -eu

PACKAGES="make gcc libc6-dev gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
picolibc-riscv64-unknown-elf qemu-system-misc opensbi device-tree-compiler python3
python3-yaml python3-jinja2 libcmocka-dev gdb-multiarch mtools dosfstools spin graphviz dpkg-dev librsvg2-bin"

installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>/dev/null | awk '$1 == "ii" { print $2 }')
missing=""
for p in $PACKAGES; do
    case " $(echo $installed) " in
        *" $p "*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: not root; run as root:  apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or stale on a fresh machine: update once if the install fails.
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/install-deps.log 2>&1; then
    apt-get update -q >>/tmp/install-deps.log 2>&1 || true
    if ! apt-get install -y -q --no-install-recommends $missing >>/tmp/install-deps.log 2>&1; then
        tail -20 /tmp/install-deps.log >&2
        echo "install-deps: apt-get failed (log: /tmp/install-deps.log)" >&2
        exit 1
    fi
fi
echo "install-deps: done"
