/* libpcap's own count of a capture's records, for test/capture/corpus.test.ts: what pcap_next_ex hands out
 * before the end or an error. Prints "N" and, after an error, a tab and libpcap's message; exit 2 when
 * pcap_open_offline refuses the file. Unlike tcpdump it compiles no filter, so any link type is read. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
  char err[PCAP_ERRBUF_SIZE];
  if (argc != 2) return 64;
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (p == NULL) {
    printf("refused\t%s\n", err);
    return 2;
  }
  struct pcap_pkthdr *h;
  const unsigned char *data;
  long n = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) n++;
  if (rc == PCAP_ERROR) printf("%ld\t%s\n", n, pcap_geterr(p));
  else printf("%ld\n", n);
  pcap_close(p);
  return 0;
}
