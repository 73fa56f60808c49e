// Which flow-key fields a hash reads, and where each selected byte sits in the hashed message.

import { UsageError } from '../errors.js';

export type HashField =
  | 'src-ip'
  | 'dst-ip'
  | 'protocol'
  | 'src-port'
  | 'dst-port'
  | 'flowlabel'
  | 'inner-src-ip'
  | 'inner-dst-ip'
  | 'inner-protocol'
  | 'inner-flowlabel'
  | 'inner-src-port'
  | 'inner-dst-port';

/** The 5-tuple, in the order the topology's default lists it; also the default selection. */
export const HASH_FIELDS: readonly HashField[] = ['src-ip', 'dst-ip', 'protocol', 'src-port', 'dst-port'];

/** The fields only linux-custom reads: the IPv6 flow label and a tunnelled packet's inner header (policy 3). */
export const LINUX_CUSTOM_FIELDS: readonly HashField[] = [
  'flowlabel',
  'inner-src-ip',
  'inner-dst-ip',
  'inner-protocol',
  'inner-flowlabel',
  'inner-src-port',
  'inner-dst-port',
];

/** Every field name a topology or `--fields` takes. */
export const ALL_HASH_FIELDS: readonly HashField[] = [...HASH_FIELDS, ...LINUX_CUSTOM_FIELDS];

/**
 * The flow key as 13 byte slots: source address (4, most significant first), destination address (4),
 * source port (2), destination port (2), protocol (1). This is also the order in which the non-Linux
 * algorithms read the selected fields (network byte order), so the slot number doubles as the message order.
 */
export const KEY_SLOTS = 13;

/** Where each 5-tuple field sits in the key's byte slots; linux-custom's own fields are not bytes of an IPv4 key. */
const FIELD_SLOTS: Record<HashField, readonly number[]> = {
  'src-ip': [0, 1, 2, 3],
  'dst-ip': [4, 5, 6, 7],
  'src-port': [8, 9],
  'dst-port': [10, 11],
  protocol: [12],
  flowlabel: [],
  'inner-src-ip': [],
  'inner-dst-ip': [],
  'inner-protocol': [],
  'inner-flowlabel': [],
  'inner-src-port': [],
  'inner-dst-port': [],
};

/** Throws UsageError unless every name is a known field. */
export function checkHashFields(fields: readonly string[]): asserts fields is readonly HashField[] {
  for (const f of fields) {
    if (!Object.hasOwn(FIELD_SLOTS, f)) {
      throw new UsageError(`unknown hash field '${f}' (known: ${ALL_HASH_FIELDS.join(', ')})`);
    }
  }
}

/** "src-ip,dst-ip" → validated field list (duplicates dropped); UsageError on an unknown or empty list. */
export function parseHashFields(list: string): HashField[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`empty hash field list '${list}'`);
  checkHashFields(names);
  return [...new Set(names)];
}

/**
 * The message a byte-oriented hash reads for this selection: its length, and for each of the 13 key slots
 * its byte offset in the message or -1 when the field is not selected.
 */
export function messageLayout(fields: readonly HashField[]): { length: number; offset: Int8Array } {
  const selected = new Set(fields);
  const offset = new Int8Array(KEY_SLOTS).fill(-1);
  let length = 0;
  for (const f of ['src-ip', 'dst-ip', 'src-port', 'dst-port', 'protocol'] as const) {
    if (!selected.has(f)) continue;
    for (const slot of FIELD_SLOTS[f]) offset[slot] = length++;
  }
  return { length, offset };
}
