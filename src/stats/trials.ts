// The results of `fuzz` and `failover` (SPEC §6) as data: what the experiments compute and report/ renders.

/** One hash algorithm × selection method over all fuzz trials. */
export interface FuzzRow {
  algorithm: string; // e.g. crc32, linux-l4
  selection: string; // hash-threshold | modulo | resilient
  /** mean over trials of the worst stage's maxOverMean */
  meanMaxOverMean: number;
  /** the worst trial's worst stage maxOverMean */
  worstMaxOverMean: number;
  /** how many of the trials raised a polarization warning (0..trials) */
  polarized: number;
  /** the saved capture of the worst trial (a path), null when nothing was saved (no --save-worst) */
  reproducer: string | null;
  /** arguments to `ecmp-emu replay` that reproduce worstMaxOverMean from the reproducer, e.g. ["--topology", "…"] */
  replayArgs: string[];
}

export interface FuzzResult {
  trials: number;
  flows: number; // flows per trial
  results: FuzzRow[];
}

/** One selection method's behaviour when something is removed. */
export interface FailoverMethod {
  selection: string;
  /** fraction of all flows whose VM changes, 0..1 */
  moved: number;
  /** fraction of all flows that were on what was removed: the least any method can move, 0..1 */
  minimum: number;
}

export interface FailoverResult {
  removed: string; // the VM, leaf, spine or uplink (LEAF:SPINE) that failed
  flows: number;
  methods: FailoverMethod[];
  /** what `moved` counts changes of: the flows' VM (absent), or their spine when a spine or uplink failed */
  moves?: 'spine';
}
