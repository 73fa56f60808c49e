#!/usr/bin/python3
"""Makes the small scapy-*.pcap traces that test/wire and test/capture decode and compare with tshark.

Run with Debian's python3 (it has scapy): /usr/bin/python3 traces/make-traces.py [OUTDIR]
Deterministic: fixed addresses, ports and timestamps, so re-running gives the same bytes.
"""
import sys
from scapy.all import (ARP, ICMP, IP, IPOption_RR, IPv6, TCP, UDP, Dot1AD, Dot1Q, Ether, Raw,
                       CookedLinux, CookedLinuxV2, PcapWriter, fragment)
from scapy.layers.vxlan import VXLAN

out = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit('/', 1)[0]
T0 = 1700000000
MAC_A, MAC_B = '02:00:00:00:00:01', '02:00:00:00:00:02'


def eth():
    return Ether(src=MAC_A, dst=MAC_B)


def ipv4_packets():
    """The L3-and-up packets every link type carries."""
    pkts = [
        IP(src='10.0.0.1', dst='192.168.100.10', ttl=61) / UDP(sport=40000, dport=9999) / Raw(b'q' * 20),
        IP(src='10.0.0.2', dst='192.168.100.10') / TCP(sport=51515, dport=443, flags='S', seq=1000),
        IP(src='10.0.0.3', dst='192.168.100.10') / ICMP(type=8, id=7, seq=1) / Raw(b'ping' * 8),
        # IP options (record route): IHL 10
        IP(src='10.0.0.4', dst='192.168.100.10', options=[IPOption_RR(routers=['1.1.1.1', '2.2.2.2'])])
        / UDP(sport=1234, dport=5678) / Raw(b'opt'),
        # ICMP error quoting a UDP packet: the key is the outer ICMP, ports 0
        IP(src='172.16.1.1', dst='10.0.0.1') / ICMP(type=3, code=3)
        / IP(src='10.0.0.1', dst='172.16.1.1') / UDP(sport=40000, dport=33434),
        IP(src='10.0.0.5', dst='192.168.100.10', proto=99) / Raw(b'g' * 16),  # a protocol without ports
    ]
    # fragments of one UDP datagram: first (with the UDP header) and the rest; ports are 0 for all
    pkts += fragment(IP(src='10.0.0.6', dst='192.168.100.10', id=4242) / UDP(sport=7000, dport=8000)
                     / Raw(b'f' * 100), fragsize=48)
    return pkts


def vxlan(inner, vni, sport):
    return (eth() / IP(src='10.1.1.254', dst='10.1.1.3', flags='DF', ttl=64)
            / UDP(sport=sport, dport=4789, chksum=0) / VXLAN(flags=0x08, vni=vni) / inner)


def write(name, pkts, **kw):
    w = PcapWriter(f'{out}/{name}', sync=True, **kw)
    for i, p in enumerate(pkts):
        p.time = T0 + i * 0.001 + 0.000123
        w.write(p)
    w.close()


ether_pkts = [eth() / p for p in ipv4_packets()]
ether_pkts += [
    eth() / Dot1Q(vlan=100, prio=5) / IP(src='10.0.1.1', dst='192.168.100.10') / UDP(sport=1111, dport=2222),
    eth() / Dot1AD(vlan=20) / Dot1Q(vlan=300) / IP(src='10.0.2.1', dst='192.168.100.10') / TCP(sport=3333, dport=80),
    eth() / Dot1Q(vlan=7) / IP(src='10.0.3.1', dst='192.168.100.10') / ICMP(),
    eth() / ARP(psrc='10.0.0.1', pdst='10.0.0.2'),
    eth() / IPv6(src='2001:db8::1', dst='2001:db8::2') / UDP(sport=1, dport=2),
    vxlan(Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02') / IP(src='10.0.0.7', dst='192.168.100.10')
          / UDP(sport=40001, dport=443), 10100, 49999),
    vxlan(Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02') / Dot1Q(vlan=42)
          / IP(src='10.0.0.8', dst='192.168.100.10') / TCP(sport=40002, dport=22), 0xabcdef, 50001),
    vxlan(Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02') / IPv6(src='2001:db8::1', dst='2001:db8::3')
          / UDP(sport=5, dport=6), 77, 50002),
]
write('scapy-ether.pcap', ether_pkts)
# big-endian, nanosecond: the same frames with another file layout
write('scapy-ether-be-ns.pcap', ether_pkts, endianness='>', nano=True)
write('scapy-sll2.pcap', [CookedLinuxV2(proto=0x0800, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6,
                                        src=b'\x02\x00\x00\x00\x00\x01\x00\x00') / p for p in ipv4_packets()]
      + [CookedLinuxV2(proto=0x86dd, lladdrtype=1, lladdrlen=6) / IPv6() / UDP()], linktype=276)
write('scapy-sll.pcap', [CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b'\x02\x00\x00\x00\x00\x01\x00\x00')
                         / p for p in ipv4_packets()], linktype=113)
write('scapy-raw.pcap', ipv4_packets() + [IPv6(src='2001:db8::1', dst='2001:db8::2') / UDP(sport=9, dport=10)],
      linktype=101)
write('scapy-ipv4.pcap', ipv4_packets(), linktype=228)
