/*
 * The minimal work a replay must do, in C: read each frame of a classic pcap, CRC-32 its IPv4 5-tuple and count
 * it into one of three buckets. The yardstick `npm run bench` times `ecmp-emu replay` against (whole process).
 *
 * cc -O2 -o baseline bench/baseline.c && ./baseline FILE
 * Prints "packets bytes skipped bucket0 bucket1 bucket2". Handles both byte orders, micro/nanosecond magic,
 * Ethernet with up to two VLAN tags and raw IPv4; anything else is counted as skipped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define CHUNK (4u << 20)
#define MAX_CAPLEN 262144u

static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static uint32_t rd32(const uint8_t *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "baseline: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  crc_init();
  uint8_t *buf = malloc(CHUNK + MAX_CAPLEN + 64);
  size_t have = 0, pos = 0;
  int eof = 0;
  /* fill: keep at least `want` bytes from pos, or reach the end */
#define FILL(want)                                                        \
  while (have - pos < (want) && !eof) {                                   \
    memmove(buf, buf + pos, have - pos);                                  \
    have -= pos;                                                          \
    pos = 0;                                                              \
    ssize_t n = read(fd, buf + have, CHUNK + MAX_CAPLEN - have);          \
    if (n < 0) {                                                          \
      perror("baseline: read");                                           \
      return 1;                                                           \
    }                                                                     \
    if (n == 0) eof = 1;                                                  \
    have += (size_t)n;                                                    \
  }
  FILL(24);
  if (have < 24) {
    fprintf(stderr, "baseline: not a pcap file\n");
    return 1;
  }
  uint32_t magic;
  memcpy(&magic, buf, 4);
  int swap;
  if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) swap = 0;
  else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) swap = 1;
  else {
    fprintf(stderr, "baseline: not a classic pcap file\n");
    return 1;
  }
  uint32_t linktype = rd32(buf + 20, swap) & 0xffff;
  pos = 24;
  uint64_t packets = 0, bytes = 0, skipped = 0, bucket[3] = {0, 0, 0};
  for (;;) {
    FILL(16);
    if (have - pos < 16) break;
    uint32_t caplen = rd32(buf + pos + 8, swap);
    uint32_t origlen = rd32(buf + pos + 12, swap);
    if (caplen > MAX_CAPLEN) {
      fprintf(stderr, "baseline: corrupt record\n");
      return 1;
    }
    FILL(16 + caplen);
    if (have - pos < 16 + caplen) break;
    const uint8_t *f = buf + pos + 16;
    pos += 16 + caplen;
    packets++;
    bytes += origlen;
    uint32_t l3 = 0, type = 0x0800;
    if (linktype == 1) {
      if (caplen < 14) { skipped++; continue; }
      type = (uint32_t)f[12] << 8 | f[13];
      l3 = 14;
      for (int t = 0; t < 2 && (type == 0x8100 || type == 0x88a8); t++) {
        if (caplen < l3 + 4) break;
        type = (uint32_t)f[l3 + 2] << 8 | f[l3 + 3];
        l3 += 4;
      }
    } else if (linktype != 101 && linktype != 228) {
      skipped++;
      continue;
    }
    if (type != 0x0800 || caplen < l3 + 20 || (f[l3] >> 4) != 4) { skipped++; continue; }
    uint32_t ihl = (f[l3] & 15u) * 4;
    uint8_t key[13];
    memcpy(key, f + l3 + 12, 8); /* source, destination */
    uint8_t proto = f[l3 + 9];
    memset(key + 8, 0, 4);
    if ((proto == 6 || proto == 17) && caplen >= l3 + ihl + 4) memcpy(key + 8, f + l3 + ihl, 4);
    key[12] = proto;
    bucket[crc32(key, sizeof key) % 3]++;
  }
  printf("%llu %llu %llu %llu %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes,
         (unsigned long long)skipped, (unsigned long long)bucket[0], (unsigned long long)bucket[1],
         (unsigned long long)bucket[2]);
  return 0;
}
