import { describe, expect, it } from 'vitest';
import {
  csvField,
  deviation,
  dottedQuad,
  escapeHtml,
  formatP,
  groupDigits,
  humanBytes,
  orderedSkipKeys,
  percent,
} from '../../src/report/format.js';

describe('formatting', () => {
  it('groups digits with commas whatever the locale', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1000)).toBe('1,000');
    expect(groupDigits(98_123_456)).toBe('98,123,456');
    expect(groupDigits(-1234567)).toBe('-1,234,567');
    expect(groupDigits(1234.5678, 2)).toBe('1,234.57');
  });

  it('formats p-values as a person reads them', () => {
    expect(formatP(0.482)).toBe('0.482');
    expect(formatP(0.0012)).toBe('0.001');
    expect(formatP(3.2e-8)).toBe('3.2e-8');
    expect(formatP(3.24e-8)).toBe('3.2e-8');
    expect(formatP(1.5e-300)).toBe('1.5e-300');
    expect(formatP(0)).toBe('0');
    expect(formatP(1)).toBe('1');
    expect(formatP(NaN)).toBe('-');
  });

  it('formats shares, deviations and byte counts', () => {
    expect(percent(1 / 3)).toBe('33.33%');
    expect(percent(1 / 9, 1)).toBe('11.1%');
    expect(deviation(0.1671, 1 / 9)).toBe('+50.4%');
    expect(deviation(0, 1 / 9)).toBe('-100.0%');
    expect(deviation(0.3332, 1 / 3)).toBe('0.0%');
    expect(deviation(0.1, 0)).toBe('unexpected');
    expect(deviation(0, 0)).toBe('-');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(98_123_456)).toBe('98.1 MB');
    expect(humanBytes(1_500)).toBe('1.50 kB');
  });

  it('escapes the five XML specials and quotes CSV fields per RFC 4180', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(0.1)).toBe('0.1');
    expect(csvField(null)).toBe('');
  });

  it('prints addresses dotted and skip reasons in a fixed order', () => {
    expect(dottedQuad(0xc0a8640a)).toBe('192.168.100.10');
    expect(dottedQuad(0xffffffff)).toBe('255.255.255.255');
    expect(orderedSkipKeys({ zz: 1, 'unknown-vni': 0, aa: 2, truncated: 3 })).toEqual(['truncated', 'unknown-vni', 'aa', 'zz']);
  });
});
