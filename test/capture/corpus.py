#!/usr/bin/python3
"""Base captures for test/capture/corpus.test.ts: scapy writes them; the test derives every libpcap edge case from
them with editcap and byte patches, and checks ecmp-emu's record counts against `tcpdump -r FILE --count`.

Usage: /usr/bin/python3 test/capture/corpus.py OUTDIR. Deterministic (fixed addresses, ports and timestamps).
"""
import struct
import sys
from scapy.all import (ARP, IP, PPP, TCP, UDP, Dot1Q, Ether, Raw, CookedLinux, PcapWriter, wrpcapng)

out = sys.argv[1]
T0 = 1700000000


def flows():
    """40 packets over 20 flows, 60 to 1514 bytes on the wire."""
    pkts = []
    for i in range(40):
        f = i % 20
        l4 = UDP(sport=40000 + f, dport=9999) if f % 2 else TCP(sport=50000 + f, dport=443, flags='A', seq=i)
        pkts.append(IP(src=f'10.0.{f}.1', dst='192.168.100.10') / l4 / Raw(b'x' * ((i * 97) % 1460)))
    return pkts


def write(name, linktype, pkts, **kw):
    w = PcapWriter(f'{out}/{name}', linktype=linktype, sync=True, **kw)
    for i, p in enumerate(pkts):
        p.time = T0 + i / 1000
        w.write(p)
    w.close()


eth = [Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / p for p in flows()]
eth.insert(5, Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / Dot1Q(vlan=100) / flows()[0])
eth.insert(9, Ether(src='02:00:00:00:00:01', dst='ff:ff:ff:ff:ff:ff') / ARP(psrc='10.0.0.1', pdst='10.0.0.2'))
write('ether.pcap', 1, eth)
write('ether-be-ns.pcap', 1, eth, endianness='>', nano=True)
# The 4-byte address family: NULL in the capturing host's byte order (here little-endian, and one big-endian
# record as a capture from another host shows it), LOOP in network order.
write('null.pcap', 0, [Raw(struct.pack('<I' if i != 3 else '>I', 2)) / p for i, p in enumerate(flows())])
write('loop.pcap', 108, [Raw(struct.pack('>I', 2)) / p for p in flows()])
write('ppp.pcap', 9, [PPP(proto=0x21) / p for p in flows()])
write('raw.pcap', 101, flows())
write('ipv4.pcap', 228, flows())
write('sll.pcap', 113, [CookedLinux(proto=0x0800) / p for p in flows()])
for i, p in enumerate(eth):
    p.time = T0 + i / 1000
wrpcapng(f'{out}/ether.pcapng', eth)
