#!/usr/bin/env bash
# The discovery test network: network namespaces joined by a bridge, 10.99.0.0/24 inside the
# namespaces only (nothing is added to the host's own namespace). Needs CAP_NET_ADMIN.
#
#   tests/netns/setup.sh up PREFIX PROFILE STATE_DIR   create; writes STATE_DIR/devices.tsv
#   tests/netns/setup.sh down PREFIX                   remove every namespace named PREFIX-*
#
# PREFIX must start with "mdsec-t-" (e.g. mdsec-t-<pid>-<n>). PROFILE is one of:
#   full    scanner (10.99.0.1) and 22 simulated devices (DICOM SCPs via dcmtk storescp, HL7 MLLP,
#           HTTP, SSH/FTP/Telnet banners, hosts without services, hosts that drop ICMP or all IP,
#           hosts that never answer IP (replies are routed into a blackhole), one
#           that does not even answer ARP, one on the do-not-scan list)
#   listen  a client (10.99.0.1), a DICOM SCP, an HL7 listener and a monitor namespace "mon" on a
#           port that sees all traffic (the bridge floods every frame: ageing time 0)
#
# devices.tsv columns: namespace, ip, kind, open TCP ports (comma-separated or -), expectation:
#   alive (an active scan must find it), dark (answers nothing, not even ARP), dns (do-not-scan).
# The bridge namespace is PREFIX-br; the device's bridge-side port is named p<suffix>.
set -Eeuo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
prefix=${2:-}

case "$prefix" in
  mdsec-t-*) ;;
  *) echo "setup.sh: PREFIX must start with mdsec-t- (got '$prefix')" >&2; exit 2 ;;
esac

namespaces() { ip netns list | awk '{print $1}' | grep -E "^${prefix}-" || true; }

down() {
  local ns pids
  for ns in $(namespaces); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
  done
  sleep 0.3
  for ns in $(namespaces); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

if [ "$cmd" = down ]; then
  down
  exit 0
fi
[ "$cmd" = up ] || { echo "usage: setup.sh up PREFIX PROFILE STATE_DIR | down PREFIX" >&2; exit 2; }
profile=${3:?profile}
state=${4:?state dir}
mkdir -p "$state"

if ! ip netns add "${prefix}-probe" 2>"$state/probe.err"; then
  echo "setup.sh: cannot create network namespaces (CAP_NET_ADMIN is needed: run as root): $(cat "$state/probe.err")" >&2
  exit 3
fi
ip netns del "${prefix}-probe"

trap 'echo "setup.sh: failed at line $LINENO; removing the namespaces" >&2; down' ERR

br="${prefix}-br"
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

new_ns() {
  ip netns add "$1"
  # No IPv6 (no router solicitations, no DAD): the only packets are the ones the tests cause.
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}

new_ns "$br"
ip -n "$br" link add br0 type bridge ageing_time 0 stp_state 0 forward_delay 0
ip -n "$br" link set br0 up

# attach SUFFIX [IP]: namespace PREFIX-SUFFIX with eth0 (and IP/24), bridge port pSUFFIX.
attach() {
  local suffix=$1 ip=${2:-} ns="${prefix}-$1"
  new_ns "$ns"
  ip -n "$br" link add "p$suffix" type veth peer name eth0 netns "$ns"
  ip -n "$br" link set "p$suffix" master br0 up
  [ -n "$ip" ] && ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
}

manifest="$state/devices.tsv"
: >"$manifest"
waits=()

# device SUFFIX IP KIND OPEN EXPECT [ROLE ARGS...]
device() {
  local suffix=$1 ip=$2 kind=$3 open=$4 expect=$5
  shift 5
  attach "$suffix" "$ip"
  local ns="${prefix}-${suffix}"
  printf '%s\t%s\t%s\t%s\t%s\n' "$ns" "$ip" "$kind" "$open" "$expect" >>"$manifest"
  local pyargs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      storescp)  # storescp PORT AE
        mkdir -p "$state/$suffix-dicom"
        nsx "$ns" setsid storescp --aetitle "$3" --output-directory "$state/$suffix-dicom" "$2" \
          >"$state/$suffix-storescp.log" 2>&1 </dev/null &
        shift 3 ;;
      http) pyargs+=(--http "$2:$3"); shift 3 ;;
      hl7) pyargs+=(--hl7 "$2"); shift 2 ;;
      banner) pyargs+=(--banner "$2:$3"); shift 3 ;;
      telnet) pyargs+=(--telnet "$2"); shift 2 ;;
      no-icmp) nsx "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=1; shift ;;
      drop-ip)  # never answer IP: every reply is routed into a blackhole (ARP is still answered)
        ip -n "$ns" route add blackhole 10.99.0.0/25
        ip -n "$ns" route add blackhole 10.99.0.128/25
        shift ;;
      no-arp) nsx "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=8 net.ipv4.conf.eth0.arp_ignore=8; shift ;;
      *) echo "setup.sh: unknown role $1" >&2; return 1 ;;
    esac
  done
  if [ ${#pyargs[@]} -gt 0 ]; then
    nsx "$ns" setsid python3 "$here/device.py" "${pyargs[@]}" >"$state/$suffix-device.log" 2>&1 </dev/null &
  fi
  [ "$open" != - ] && waits+=("$ns:$open")
  return 0
}

case "$profile" in
  full)
    attach s 10.99.0.1
    device d01 10.99.0.11 dicom 104 alive storescp 104 CT_SCANNER_1
    device d02 10.99.0.12 dicom 104 alive storescp 104 MR_SCANNER_2
    device d03 10.99.0.13 dicom 11112 alive storescp 11112 PACS_ARCHIVE
    device d04 10.99.0.14 hl7 2575 alive hl7 2575
    device d05 10.99.0.15 hl7 2575 alive hl7 2575
    device d06 10.99.0.16 hl7 2575 alive hl7 2575
    device d07 10.99.0.17 http 80 alive http 80 InfusionPumpWeb/2.1
    device d08 10.99.0.18 http 80 alive http 80 GoAhead-Webs
    device d09 10.99.0.19 http 80 alive http 80 PatientMonitor-httpd/1.0
    device d10 10.99.0.20 ssh 22 alive banner 22 "SSH-2.0-OpenSSH_7.4 VentilatorOS"
    device d11 10.99.0.21 ssh 22 alive banner 22 "SSH-2.0-dropbear_2019.78"
    device d12 10.99.0.22 telnet 23 alive telnet 23
    device d13 10.99.0.23 ftp 21 alive banner 21 "220 Analyzer FTP server ready"
    device d14 10.99.0.24 multi 22,80,104,2575 alive \
      banner 22 "SSH-2.0-OpenSSH_8.0 ModalityWS" http 80 ModalityWeb/5.0 storescp 104 US_SCANNER hl7 2575
    device d15 10.99.0.25 quiet - alive
    device d16 10.99.0.26 quiet - alive
    device d17 10.99.0.27 quiet - alive
    device d18 10.99.0.28 no-icmp 80 alive no-icmp http 80 NoPingWeb/1.0
    device d19 10.99.0.29 drop-all - alive drop-ip
    device d20 10.99.0.30 drop-all - alive drop-ip
    device d21 10.99.0.31 dark - dark no-icmp drop-ip no-arp
    device d22 10.99.0.32 do-not-scan 22,80 dns banner 22 "SSH-2.0-OpenSSH_9.2 LifeSupport" http 80 DoNotTouch/1.0
    ;;
  listen)
    attach s 10.99.0.1
    device d01 10.99.0.11 dicom 104 alive storescp 104 CT_SCANNER_1
    device d04 10.99.0.14 hl7 2575 alive hl7 2575
    attach mon
    ;;
  *) echo "setup.sh: unknown profile $profile" >&2; exit 2 ;;
esac

# Wait until every service listens.
for w in "${waits[@]}"; do
  ns=${w%%:*}
  IFS=, read -r -a ports <<<"${w#*:}"
  for port in "${ports[@]}"; do
    ok=
    for _ in $(seq 1 100); do
      if nsx "$ns" ss -Hltn "sport = :$port" | grep -q LISTEN; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] || { echo "setup.sh: $ns did not start listening on $port" >&2; false; }
  done
done
trap - ERR
echo "setup.sh: $profile network up ($(namespaces | wc -l) namespaces)" >&2
