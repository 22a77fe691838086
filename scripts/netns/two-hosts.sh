#!/usr/bin/env bash
# Two "hosts" on this machine: network namespaces joined by a veth pair, each with its own
# address; runs `torchnode launch` on both (node ranks 0 and 1) and removes everything after.
# Usage (as root): scripts/netns/two-hosts.sh [--nproc-per-node N] -- COMMAND...
set -uo pipefail
cd "$(dirname "$0")/../.."

nproc=1
if [[ "${1:-}" == "--nproc-per-node" ]]; then nproc=$2; shift 2; fi
[[ "${1:-}" == "--" ]] || { echo "usage: $0 [--nproc-per-node N] -- COMMAND..." >&2; exit 2; }
shift
subnet=${TORCHNODE_NETNS_SUBNET:-10.213.77}
port=${TORCHNODE_NETNS_PORT:-29577}
id=$$
a=tnhost0-$id b=tnhost1-$id

cleanup() {
  ip netns del "$a" 2>/dev/null
  ip netns del "$b" 2>/dev/null  # deleting a namespace deletes its end of the veth pair
}
trap cleanup EXIT

ip netns add "$a" && ip netns add "$b" || { echo "two-hosts: cannot create network namespaces (needs root and CAP_SYS_ADMIN)" >&2; exit 3; }
ip link add "tnv0-$id" type veth peer name "tnv1-$id" || { echo "two-hosts: cannot create a veth pair" >&2; exit 3; }
ip link set "tnv0-$id" netns "$a"
ip link set "tnv1-$id" netns "$b"
ip -n "$a" addr add "$subnet.1/24" dev "tnv0-$id"
ip -n "$b" addr add "$subnet.2/24" dev "tnv1-$id"
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
  for dev in $(ip -n "$ns" -o link show | awk -F': ' '/tnv/ {print $2}' | cut -d@ -f1); do ip -n "$ns" link set "$dev" up; done
done
echo "two-hosts: host0 $subnet.1 ($a), host1 $subnet.2 ($b)" >&2

run_host() {
  local ns=$1 node=$2
  shift 2
  ip netns exec "$ns" node dist/cli.js launch --nnodes 2 --node-rank "$node" --nproc-per-node "$nproc" \
    --master-addr "$subnet.1" --master-port "$port" -- "$@" 2>&1 | sed -u "s/^/[host$node] /"
  return "${PIPESTATUS[0]}"
}
run_host "$a" 0 "$@" & pa=$!
run_host "$b" 1 "$@" & pb=$!
wait "$pa"; ca=$?
wait "$pb"; cb=$?
echo "two-hosts: host0 exited with $ca, host1 with $cb" >&2
(( ca == 0 && cb == 0 ))
