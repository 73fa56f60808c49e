#!/usr/bin/python3
# IPv6 captures for the tshark differential (test/wire/ipv6-tshark.test.ts): every extension header the decoder
# walks, fragments first and later, AH, ESP, "no next header", ICMPv6, flow labels, VLAN/QinQ, VXLAN over IPv6 and
# IPv6 inside VXLAN, and the link types that carry IPv6. Usage: ipv6-corpus.py OUTDIR
import sys
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, UDP, TCP, Raw, ICMPv6EchoRequest, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, VXLAN, CookedLinux, wrpcap, conf)
from scapy.layers.ipsec import AH, ESP
from scapy.layers.inet6 import PadN
try:
    from scapy.layers.l2 import CookedLinuxV2
except ImportError:
    CookedLinuxV2 = None

out = sys.argv[1]
A = 'fd00:1::10'
B = '2001:db8:100::a'
C = '2001:db8:ffff:0:0:0:0:1'
M = dict(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')
pay = Raw(b'x' * 24)

def ip6(fl=0, src=A, dst=B):
    return IPv6(src=src, dst=dst, fl=fl, hlim=61)

upper = [
    ip6(0x12345) / TCP(sport=40001, dport=443, flags='S') / pay,
    ip6(0xfffff) / UDP(sport=40002, dport=53) / pay,
    ip6(7) / ICMPv6EchoRequest(id=9, seq=1),
    ip6(1) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\x00\x00\x00\x00')]) / UDP(sport=40003, dport=80) / pay,
    ip6(2) / IPv6ExtHdrRouting(addresses=[C], segleft=1) / TCP(sport=40004, dport=22) / pay,
    ip6(3) / IPv6ExtHdrDestOpt() / UDP(sport=40005, dport=4000) / pay,
    ip6(4) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=[C]) / IPv6ExtHdrDestOpt() / TCP(sport=40006, dport=8080) / pay,
    ip6(5) / IPv6ExtHdrFragment(offset=0, m=1, id=77, nh=17) / UDP(sport=40007, dport=9999, len=200) / pay,
    ip6(5) / IPv6ExtHdrFragment(offset=13, m=0, id=77, nh=17) / Raw(b'y' * 40),
    ip6(6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(offset=0, m=1, id=78, nh=6) / TCP(sport=40008, dport=443) / pay,
    ip6(8) / AH(spi=0x12345678, nh=6, icv=b'\x00' * 12) / TCP(sport=40009, dport=443) / pay,
    ip6(9) / IPv6ExtHdrDestOpt() / AH(spi=0xabcd0001, nh=17, icv=b'\x00' * 12) / UDP(sport=40010, dport=53) / pay,
    ip6(10) / ESP(spi=0xdeadbeef, seq=1, data=b'z' * 32),
    ip6(11) / IPv6ExtHdrDestOpt(nh=59) / Raw(b''),
    ip6(12, src='::ffff:10.0.0.1', dst='::1') / UDP(sport=1, dport=2),
]

def inner4():
    return Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02') / IP(src='10.0.0.1', dst='192.168.100.10') / UDP(sport=41000, dport=443) / pay

def inner6(fl=0x54321):
    return Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02', type=0x86dd) / ip6(fl) / TCP(sport=41001, dport=443) / pay

vtep6a, vtep6b = 'fd00:ffff::1', 'fd00:ffff::2'
ether = [Ether(**M) / p for p in upper]
ether += [
    Ether(**M) / Dot1Q(vlan=100) / upper[0],
    Ether(**M) / Dot1AD(vlan=20) / Dot1Q(vlan=300) / upper[1],
    Ether(**M) / IPv6(src=vtep6a, dst=vtep6b) / UDP(sport=50001, dport=4789) / VXLAN(vni=5001) / inner4(),
    Ether(**M) / IPv6(src=vtep6a, dst=vtep6b) / UDP(sport=50002, dport=4789) / VXLAN(vni=5001) / inner6(),
    Ether(**M) / IP(src='172.16.0.1', dst='172.16.0.2') / UDP(sport=50003, dport=4789) / VXLAN(vni=5002) / inner6(0x11),
    Ether(**M) / IPv6(src=vtep6a, dst=vtep6b) / UDP(sport=50004, dport=4789) / VXLAN(vni=5003) / Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02') / ip6(0x22) / IPv6ExtHdrFragment(offset=4, nh=6) / Raw(b'q' * 8),
    Ether(**M, type=0x0806) / Raw(b'\x00\x01\x08\x00\x06\x04\x00\x01' + b'\x00' * 20),
]
wrpcap(f'{out}/v6-ether.pcap', ether)
wrpcap(f'{out}/v6-raw229.pcap', [bytes(p) for p in upper], linktype=229)
wrpcap(f'{out}/v6-raw101.pcap', [bytes(p) for p in upper[:6]] + [bytes(IP(src='10.0.0.1', dst='10.0.0.2') / UDP(sport=3, dport=4))], linktype=101)
wrpcap(f'{out}/v6-sll.pcap', [CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b'\x02\x00\x00\x00\x00\x01\x00\x00', proto=0x86dd) / p for p in upper[:8]], linktype=113)
if CookedLinuxV2 is not None:
    wrpcap(f'{out}/v6-sll2.pcap', [CookedLinuxV2(proto=0x86dd, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6, src=b'\x02\x00\x00\x00\x00\x01\x00\x00') / p for p in upper[:8]], linktype=276)
# BSD loopback: AF_INET6 as OpenBSD/NetBSD (24), FreeBSD (28), macOS (30), Linux (10), host byte order (little endian)
null = [af.to_bytes(4, 'little') + bytes(p) for af, p in zip([24, 28, 30, 10, 24, 28], upper[:6])]
wrpcap(f'{out}/v6-null.pcap', null, linktype=0)
