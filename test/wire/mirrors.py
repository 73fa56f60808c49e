#!/usr/bin/python3
"""Mirrored traffic and BSD loopback / PPP frames for test/wire/mirrors.test.ts, made by scapy; the test compares
ecmp-emu's decode with tshark's dissection. Usage: /usr/bin/python3 test/wire/mirrors.py OUTDIR (deterministic).
"""
import struct
import sys
from scapy.all import GRE, IP, IPv6, PPP, TCP, UDP, Dot1Q, Ether, Raw, PcapWriter
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific

out = sys.argv[1]
T0 = 1700000000
MAC = dict(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')


def client_ip(i):
    """The mirrored traffic: client flows to the service address, UDP and TCP."""
    l4 = UDP(sport=40000 + i, dport=9999) if i % 2 else TCP(sport=50000 + i, dport=443, flags='S')
    return IP(src=f'10.0.{i}.1', dst='192.168.100.10', ttl=60 + i) / l4 / Raw(b'm' * (i * 13 % 200))


def client(i):
    """The client frame as the switch saw it, some VLAN-tagged."""
    if i % 3 == 0:
        return Ether(**MAC) / Dot1Q(vlan=100 + i) / client_ip(i)
    return Ether(**MAC) / client_ip(i)


def mirror(i, gre_and_header):
    """The switch's copy: its own Ethernet and IPv4 (the monitor session's collector), GRE, then the frame."""
    return Ether(src='02:00:00:00:99:01', dst='02:00:00:00:99:02') / IP(src='10.99.0.1', dst='10.99.0.2', ttl=255) / gre_and_header / client(i)


def write(name, linktype, pkts):
    w = PcapWriter(f'{out}/{name}', linktype=linktype, sync=True)
    for i, p in enumerate(pkts):
        p.time = T0 + i / 1000
        w.write(p)
    w.close()


pkts = []
for i in range(6):
    pkts.append(mirror(i, GRE(seqnum_present=1, sequence_number=i) / ERSPAN_II(ver=1, session_id=100 + i, index=i, vlan=i)))
for i in range(6, 12):
    header = ERSPAN_III(session_id=200 + i, timestamp=i, o=i % 2, hw=i)
    if i % 2:
        header = header / ERSPAN_PlatformSpecific(platf_id=3)
    pkts.append(mirror(i, GRE() / header))
for i in range(12, 16):
    pkts.append(mirror(i, GRE(proto=0x6558, key_present=1, key=77 + i)))
# ERSPAN type I: no sequence number, no ERSPAN header
pkts.append(mirror(16, GRE(proto=0x88be)))
# RFC 1701 GRE with a checksum and a source route (one SRE of 4 bytes, then the terminating one) around bridged Ethernet
pkts.append(mirror(17, GRE(proto=0x6558, chksum_present=1, routing_present=1) / Raw(b'\x08\x00\x00\x04\x0a\x00\x00\x01\x00\x00\x00\x00')))
# A GRE tunnel's own traffic (IPv4 in GRE) is not a mirror: the GRE packet is the flow
pkts.append(Ether(**MAC) / IP(src='10.98.0.1', dst='192.168.100.10') / GRE(proto=0x0800) / IP(src='10.0.50.1', dst='192.168.100.10') / UDP(sport=1, dport=2))
write('mirrors.pcap', 1, pkts)

# Malformed mirrors: an ERSPAN II header with version 0, GRE version 1 carrying bridged Ethernet, an ERSPAN III
# frame type 5, an ERSPAN II header cut off by the packet's end
bad = [
    mirror(20, GRE(seqnum_present=1, sequence_number=1) / ERSPAN_II(ver=0, session_id=1)),
    mirror(21, GRE(proto=0x6558, version=1)),
    mirror(22, GRE() / ERSPAN_III(session_id=3, ft=5)),
    Ether(**MAC) / IP(src='10.99.0.1', dst='10.99.0.2') / GRE(proto=0x88be, seqnum_present=1, sequence_number=1) / Raw(b'\x10\x00\x00'),
]
write('bad-mirrors.pcap', 1, bad)

# BSD loopback (NULL: host byte order, either; LOOP: network order), PPP bare, HDLC-framed and compressed
fam = lambda f, e: Raw(struct.pack(e + 'I', f))
null = [fam(2, '<') / client_ip(i) for i in range(4)] + [fam(2, '>') / client_ip(5), fam(24, '<') / IPv6() / UDP()]
write('null.pcap', 0, null)
write('loop.pcap', 108, [fam(2, '>') / client_ip(i) for i in range(4)] + [fam(28, '>') / IPv6() / UDP()])
ppp = [PPP(proto=0x21) / client_ip(i) for i in range(3)]
ppp += [Raw(b'\xff\x03\x00\x21') / client_ip(4), Raw(b'\x21') / client_ip(5), PPP(proto=0x57) / IPv6() / UDP()]
write('ppp.pcap', 9, ppp)
write('ppp-hdlc.pcap', 50, [Raw(b'\xff\x03\x00\x21') / client_ip(i) for i in range(3)])
