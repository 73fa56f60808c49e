#!/bin/sh
# Makes traces/demo.pcap, the trace `ecmp-emu demo` replays, with ecmp-emu's own generator:
#   32768 distinct flows, 49152 Ethernet frames (classic pcap, microseconds, 1 µs apart from 2024-01-01T00:00:00Z);
#   Zipf flow sizes (a few elephants, mostly one-packet mice); about half UDP, half TCP (SYN, then PSH/ACK) and 3% ICMP
#   echo; sources all over 10.0.0.0/8, toward the built-in fabric's service address 192.168.100.10; seed 2024.
# The generator is deterministic: running this again gives the same bytes (test/traffic/demo.test.ts checks it).
# Usage, from anywhere: sh traces/make-demo.sh
set -eu
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.build.json
node dist/src/cli/main.js generate --out traces/demo.pcap \
  --flows 32768 --packets 49152 --pattern zipf --proto mix --dst 192.168.100.10 --seed 2024
