// The one typed error that bad files, topologies and arguments raise; only cli/ turns it into a line and an exit code.

/** Exit codes of SPEC §4: 1 when the work failed (an unreadable capture), 2 for usage and topology errors. */
export type ExitCode = 1 | 2;

export class EmuError extends Error {
  /**
   * @param what  what is wrong, e.g. "unknown key 'colour'"
   * @param where where it is, e.g. "topo.yaml: colour, line 2" or "trace.pcap: byte 4096"
   * @param exitCode 1 for failed work (I/O, corrupt capture), 2 for usage and topology errors
   */
  constructor(
    readonly what: string,
    readonly where: string,
    readonly exitCode: ExitCode = 1,
  ) {
    super(where ? `${what} (${where})` : what);
    this.name = 'EmuError';
  }
}

/** A usage or topology error: exit 2. */
export class UsageError extends EmuError {
  constructor(what: string, where = '') {
    super(what, where, 2);
    this.name = 'UsageError';
  }
}
