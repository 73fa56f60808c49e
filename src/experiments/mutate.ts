// Moves through the space of traffic shapes: random shapes, one-field mutations, crossover, and the simplifications shrinking tries.

import type { Rng } from '../traffic/prng.js';
import {
  CLIENT_NET,
  CLIENT_STRIDES,
  MAX_CLIENTS,
  PORT_BASES,
  PORT_STRIDES,
  PROTOCOL_MIXES,
  SERVICE_PORTS,
  keySpace,
  repairShape,
  type PortRange,
  type TrafficShape,
} from './shape.js';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.below(xs.length)]!;
const pow2 = (rng: Rng, maxBits: number): number => 2 ** rng.below(maxBits + 1);

/** A client base: a random address of 10.0.0.0/8 aligned to a random power of two, plus one (a host, not a network). */
function randomBase(rng: Rng): number {
  const align = 2 ** rng.below(17);
  return CLIENT_NET + Math.floor(rng.below(1 << 24) / align) * align + 1;
}

function randomPorts(rng: Rng): PortRange {
  return { low: rng.below(3) === 0 ? 1 + rng.below(65535) : pick(rng, PORT_BASES), stride: pick(rng, PORT_STRIDES), count: pow2(rng, 16) };
}

function randomDport(rng: Rng): PortRange {
  return rng.below(3) > 0 ? { low: pick(rng, SERVICE_PORTS), stride: 1, count: 1 } : randomPorts(rng);
}

/** A shape with every field drawn at random. */
export function randomShape(rng: Rng, flows: number): TrafficShape {
  return repairShape(
    {
      clients: pow2(rng, 16),
      clientBase: randomBase(rng),
      clientStride: pick(rng, CLIENT_STRIDES),
      protocols: pick(rng, PROTOCOL_MIXES),
      sport: randomPorts(rng),
      dport: randomDport(rng),
      order: rng.below(2) ? 'random' : 'sequential',
      seed: rng.next(),
    },
    flows,
  );
}

/** One field changed: a neighbouring value (double, halve) or a fresh one. */
export function mutate(s: TrafficShape, rng: Rng, flows: number): TrafficShape {
  const t: TrafficShape = { ...s, sport: { ...s.sport }, dport: { ...s.dport } };
  switch (rng.below(11)) {
    case 0:
      t.clients = pick(rng, [1, Math.max(1, t.clients >> 1), Math.min(MAX_CLIENTS, t.clients * 2), pow2(rng, 16)]);
      break;
    case 1:
      t.clientStride = pick(rng, CLIENT_STRIDES);
      break;
    case 2:
      t.clientBase = randomBase(rng);
      break;
    case 3:
      t.protocols = pick(rng, PROTOCOL_MIXES);
      break;
    case 4:
      t.sport.stride = pick(rng, PORT_STRIDES);
      break;
    case 5:
      t.sport.low = rng.below(2) ? pick(rng, PORT_BASES) : 1 + rng.below(65535);
      break;
    case 6:
      t.sport.count = pick(rng, [Math.max(1, t.sport.count >> 1), t.sport.count * 2, 65536, pow2(rng, 16)]);
      break;
    case 7:
      t.dport = randomDport(rng);
      break;
    case 8:
      t.dport.stride = pick(rng, PORT_STRIDES);
      t.dport.count = Math.max(2, t.dport.count);
      break;
    case 9:
      t.order = t.order === 'random' ? 'sequential' : 'random';
      break;
    default:
      t.seed = rng.next();
      t.order = 'random';
  }
  return repairShape(t, flows);
}

/** Uniform crossover: each field from one parent or the other. */
export function crossover(a: TrafficShape, b: TrafficShape, rng: Rng, flows: number): TrafficShape {
  const from = (): TrafficShape => (rng.below(2) ? a : b);
  return repairShape(
    {
      clients: from().clients,
      clientBase: from().clientBase,
      clientStride: from().clientStride,
      protocols: from().protocols,
      sport: { ...from().sport },
      dport: { ...from().dport },
      order: from().order,
      seed: from().seed,
    },
    flows,
  );
}

/**
 * Simpler neighbours of a shape, simplest change first: fewer clients, unit strides, one protocol, one service
 * port, keys in order, round bases, no more ports than the flows need. Shrinking keeps the first that breaks the
 * hash at least as badly.
 */
export function simplifications(s: TrafficShape, flows: number): TrafficShape[] {
  const c = (patch: Partial<TrafficShape>): TrafficShape => repairShape({ ...s, sport: { ...s.sport }, dport: { ...s.dport }, ...patch }, flows);
  const out: TrafficShape[] = [
    c({ clients: 1 }),
    c({ clients: Math.max(1, s.clients >> 1) }),
    c({ protocols: 'udp' }),
    c({ protocols: 'tcp' }),
    c({ order: 'sequential' }),
    c({ dport: { low: 7, stride: 1, count: 1 } }),
    c({ dport: { ...s.dport, count: Math.max(1, s.dport.count >> 1) } }),
    c({ clientStride: 1 }),
    c({ clientBase: CLIENT_NET + 1 }),
    c({ sport: { ...s.sport, stride: 1 } }),
    c({ sport: { ...s.sport, stride: Math.max(1, s.sport.stride >> 1) } }),
    c({ sport: { ...s.sport, low: 1024 } }),
    c({ sport: { ...s.sport, low: Math.max(1, Math.floor(s.sport.low / 1024) * 1024) } }),
  ];
  // Just enough source ports for the flows (the rest of the range was never drawn from in order).
  const perPort = keySpace({ ...s, sport: { ...s.sport, count: 1 } }).total;
  out.push(c({ sport: { ...s.sport, count: Math.ceil(flows / Math.max(1, perPort)) } }));
  return out;
}
