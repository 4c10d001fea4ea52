#!/usr/bin/env bash
# The scenario's stand-in for pkgs.k8s.io: kubeadm, kubelet and kubectl packaged as upstream packages them
# (<name>_<x.y.z>-1.1_amd64.deb, the kubelet unit in kubelet, kubeadm's drop-in in kubeadm), one flat
# repository per minor (v<x.y>/deb/ with Packages, Release, InRelease, Release.gpg and Release.key), each
# Release signed with a throwaway key made for this run. The key's fingerprint goes to OUT/key.fpr, which
# the inventory pins (kubernetes_node_repo_key_fingerprint) as production pins pkgs.k8s.io's.
# Usage: apt-repo.sh OUT VERSION=BINDIR [VERSION=BINDIR ...]   (BINDIR holds kubeadm, kubelet, kubectl)
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: apt-repo.sh OUT VERSION=BINDIR [VERSION=BINDIR ...]" >&2; exit 2; }
OUT="$1"
shift
REVISION=1.1

GNUPGHOME="$(mktemp -d /tmp/kf-gpg.XXXXXX)"
STAGE="$(mktemp -d /tmp/kf-deb.XXXXXX)"
export GNUPGHOME
trap 'gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "$GNUPGHOME" "$STAGE"' EXIT

rm -rf "$OUT" && mkdir -p "$OUT"
gpg --batch --quiet --passphrase '' --quick-gen-key 'kubeforge test apt repository <apt@kubeforge.invalid>' ed25519 sign 2d
FPR="$(gpg --batch --quiet --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
echo "$FPR" >"$OUT/key.fpr"

control() { # package version depends description
  printf 'Package: %s\nVersion: %s-%s\nArchitecture: amd64\nMaintainer: kubeforge tests <apt@kubeforge.invalid>\n' \
    "$1" "$2" "$REVISION"
  [ -z "$3" ] || printf 'Depends: %s\n' "$3"
  printf 'Section: admin\nPriority: optional\nDescription: %s\n' "$4"
}

for spec in "$@"; do
  version="${spec%%=*}" bin="${spec#*=}"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "apt-repo.sh: $spec: expected x.y.z=BINDIR" >&2; exit 2; }
  repo="$OUT/v${version%.*}/deb"
  mkdir -p "$repo"
  for pkg in kubelet kubeadm kubectl; do
    root="$STAGE/$pkg-$version"
    mkdir -p "$root/DEBIAN" "$root/usr/bin"
    install -m 0755 "$bin/$pkg" "$root/usr/bin/$pkg"
    case "$pkg" in
      kubelet)
        # What the upstream kubelet package ships and depends on (Debian's packages; kubernetes-cni and
        # cri-tools are not built here: the test CNI installs its own plugins).
        mkdir -p "$root/usr/lib/systemd/system"
        cat >"$root/usr/lib/systemd/system/kubelet.service" <<'EOF'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
        control kubelet "$version" "iptables, iproute2, socat, util-linux, mount, ethtool, conntrack" \
          "Kubernetes node agent" >"$root/DEBIAN/control"
        ;;
      kubeadm)
        mkdir -p "$root/usr/lib/systemd/system/kubelet.service.d"
        cat >"$root/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf" <<'EOF'
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
EOF
        control kubeadm "$version" "kubelet (>= 1.30.0), kubectl (>= 1.30.0)" \
          "Kubernetes cluster bootstrapping tool" >"$root/DEBIAN/control"
        ;;
      kubectl)
        control kubectl "$version" "" "Kubernetes command-line tool" >"$root/DEBIAN/control"
        ;;
    esac
    # gzip -1: the payload is ~60 MB of static binaries; xz would take minutes on two cores.
    dpkg-deb --root-owner-group -Zgzip -z1 --build "$root" "$repo/${pkg}_${version}-${REVISION}_amd64.deb" >/dev/null
    rm -rf "$root"
  done
  (
    cd "$repo"
    apt-ftparchive packages . >Packages
    gzip -9nk Packages
    apt-ftparchive -o APT::FTPArchive::Release::Origin=kubeforge-test -o APT::FTPArchive::Release::Label=kubeforge-test \
      release . >"$STAGE/Release"
    mv "$STAGE/Release" Release # written outside: the index must not list itself
    gpg --batch --quiet --yes --armor --detach-sign -o Release.gpg Release
    gpg --batch --quiet --yes --clearsign -o InRelease Release
    gpg --batch --armor --export "$FPR" >Release.key
  )
done
