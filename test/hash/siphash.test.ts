import { describe } from 'vitest';
import { siphash24 } from '../../src/hash/siphash.js';
import { sipHashLaws } from './vectors.js';

describe('SipHash-2-4 in 32-bit halves', () => sipHashLaws(siphash24));
