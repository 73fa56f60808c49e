/*
 * The minimal work a replay must do, in C: read each frame of a classic pcap, CRC-32 its IPv4 5-tuple and count
 * it into one of three buckets. The yardstick `npm run bench` times `ecmp-emu replay` against (whole process).
 * With --flows, the minimal work of a flow-heavy replay instead: a flow table (open addressing, 32-byte slots,
 * doubling) counting packets and bytes per flow, and for each new flow SipHash-2-4 over Linux's 48-byte flow key
 * at two stages (two keys), each choosing one of four members; the buckets are then the second stage's members.
 *
 * cc -O2 -o baseline bench/baseline.c && ./baseline [--flows] FILE
 * Prints "packets bytes skipped bucket0 bucket1 bucket2" (--flows: "... flows"). Handles both byte orders,
 * micro/nanosecond magic, Ethernet with up to two VLAN tags and raw IPv4; anything else is counted as skipped.
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

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                     \
  do {                                                                               \
    v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                        \
    v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                           \
    v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                           \
    v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                        \
  } while (0)

/* SipHash-2-4 of n 64-bit words (a multiple of 8 bytes) with key (k0, k1). */
static uint64_t siphash(const uint64_t *m, size_t n, uint64_t k0, uint64_t k1) {
  uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
  for (size_t i = 0; i < n; i++) {
    v3 ^= m[i];
    SIPROUND;
    SIPROUND;
    v0 ^= m[i];
  }
  uint64_t b = (uint64_t)(n * 8) << 56;
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

/* A flow table slot: the key, the decision, the counters (as the emulator's, 32 bytes). */
struct slot {
  uint32_t src, dst, ports, meta, flow, path, packets, bytes;
};
static struct slot *table;
static uint64_t table_mask, table_flows;
static int table_bits;

static uint32_t fmix(uint32_t src, uint32_t dst, uint32_t ports, uint32_t meta) {
  uint32_t h = (src ^ 0x9e3779b9u) * 0x85ebca6bu;
  h = (h ^ (h >> 13) ^ dst) * 0xc2b2ae35u;
  h = (h ^ (h >> 16) ^ ports) * 0x85ebca6bu;
  h = (h ^ (h >> 13) ^ meta) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

/* The hash's top bits, as the emulator's table starts its probe (its low bits pick a segment). */
static uint64_t slot_of(uint32_t h) {
  return ((uint64_t)h << 32 | h) >> (64 - table_bits);
}

static void table_grow(void) {
  struct slot *old = table;
  uint64_t old_size = table ? table_mask + 1 : 0;
  table_bits = old_size ? table_bits + 1 : 14;
  table_mask = (1ull << table_bits) - 1;
  table = calloc(table_mask + 1, sizeof *table);
  if (!table) {
    perror("baseline: calloc");
    exit(1);
  }
  for (uint64_t i = 0; i < old_size; i++) {
    if (!old[i].flow) continue;
    uint64_t j = slot_of(fmix(old[i].src, old[i].dst, old[i].ports, old[i].meta));
    while (table[j].flow) j = (j + 1) & table_mask;
    table[j] = old[i];
  }
  free(old);
}

/* The path of a new flow: SipHash-2-4 of Linux's flow key at two stages, a member of four at each. */
static uint32_t flow_path(uint32_t src, uint32_t dst, uint32_t ports, uint8_t proto) {
  uint64_t m[6] = {(uint64_t)proto << 16, 0, 0, (uint64_t)ports << 32, (uint64_t)src << 32, dst};
  uint64_t h1 = siphash(m, 6, 0x0000002a0000002aull, 0x0000002a0000002aull);
  uint64_t h2 = siphash(m, 6, 0x0000000700000007ull, 0x0000000700000007ull);
  return (uint32_t)(((uint32_t)h1 >> 1) % 4) << 8 | (((uint32_t)h2 >> 1) % 4);
}

/* Counts a frame on its flow, inserting and forwarding the flow when new; returns its path. */
static uint32_t count_flow(uint32_t src, uint32_t dst, uint32_t ports, uint8_t proto, uint32_t origlen) {
  uint32_t meta = proto;
  uint64_t j = slot_of(fmix(src, dst, ports, meta));
  for (;; j = (j + 1) & table_mask) {
    struct slot *s = &table[j];
    if (!s->flow) break;
    if (s->src == src && s->dst == dst && s->ports == ports && s->meta == meta) {
      s->packets++;
      s->bytes += origlen;
      return s->path;
    }
  }
  struct slot *s = &table[j];
  *s = (struct slot){src, dst, ports, meta, (uint32_t)++table_flows, flow_path(src, dst, ports, proto), 1, origlen};
  uint32_t path = s->path;
  if (table_flows * 4 > (table_mask + 1) * 3) table_grow();
  return path;
}

static uint32_t rd32(const uint8_t *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

int main(int argc, char **argv) {
  int flows = argc == 3 && strcmp(argv[1], "--flows") == 0;
  if (argc != 2 + flows) {
    fprintf(stderr, "usage: %s [--flows] FILE.pcap\n", argv[0]);
    return 2;
  }
  const char *file = argv[1 + flows];
  int fd = open(file, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "baseline: %s: %s\n", file, strerror(errno));
    return 1;
  }
  if (flows) table_grow();
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
    if (flows) {
      uint32_t src, dst, ports;
      memcpy(&src, key, 4);
      memcpy(&dst, key + 4, 4);
      memcpy(&ports, key + 8, 4);
      bucket[(count_flow(src, dst, ports, proto, origlen) & 0xff) % 3]++;
    } else {
      bucket[crc32(key, sizeof key) % 3]++;
    }
  }
  printf("%llu %llu %llu %llu %llu %llu", (unsigned long long)packets, (unsigned long long)bytes,
         (unsigned long long)skipped, (unsigned long long)bucket[0], (unsigned long long)bucket[1],
         (unsigned long long)bucket[2]);
  if (flows) printf(" %llu", (unsigned long long)table_flows);
  printf("\n");
  return 0;
}
