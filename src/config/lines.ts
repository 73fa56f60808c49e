// A config file as statements: comments dropped, words split, line numbers kept; and which dialect it is.

import type { Dialect } from './model.js';

export interface Statement {
  line: number;
  /** the statement as written, comment removed, spaces trimmed */
  text: string;
  words: string[];
}

/**
 * FRR and OcNOS comment with `!` at the start of a line. Configs copied from documentation also carry a trailing
 * ` ! remark` (the seed does: `advertise ipv4 unicast ! Advertise VRF routes as EVPN type-5`); neither box accepts
 * a `!` inside a command, so everything from a blank-preceded `!` on is a remark.
 */
export function statements(text: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    let t = raw.replace(/\t/g, ' ');
    const bang = t.search(/(^|\s)!/);
    if (bang >= 0) t = t.slice(0, bang);
    t = t.trim();
    if (t === '' || t.startsWith('#')) return;
    out.push({ line: i + 1, text: t, words: t.split(/ +/) });
  });
  return out;
}

/**
 * SPEC §4's rule: FRR when a line says `frr version` or `frr defaults`, or the file uses FRR-only syntax
 * (`exit-vrf`, `router bgp N vrf NAME`); otherwise OcNOS. Returns the dialect and the line that decided it.
 */
export function detectDialect(stmts: readonly Statement[]): { dialect: Dialect; reason: string } {
  for (const s of stmts) {
    const w = s.words;
    const frr =
      (w[0] === 'frr' && (w[1] === 'version' || w[1] === 'defaults')) ||
      w[0] === 'exit-vrf' ||
      (w[0] === 'router' && w[1] === 'bgp' && w[3] === 'vrf' && w[4] !== undefined);
    if (frr) return { dialect: 'frr', reason: `line ${s.line}: ${s.text}` };
  }
  return { dialect: 'ocnos', reason: 'no FRR marker line' };
}

/** Does the text look like a router config at all: some statement a BGP/VRF config is made of. */
export function looksLikeRouterConfig(stmts: readonly Statement[]): boolean {
  return stmts.some((s) => (s.words[0] === 'router' && s.words[1] === 'bgp') || s.words[0] === 'vrf' || (s.words[0] === 'ip' && s.words[1] === 'vrf'));
}
