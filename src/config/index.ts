// `import`: device configs to a topology, with the findings of a real box's view of them.

import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { converge, type Fabric } from '../fabric/converge.js';
import { parseTopology, type Topology } from '../fabric/topology.js';
import { planFabric, type FabricPlan, type ImportOptions } from './build.js';
import { lintFabric } from './lint.js';
import type { DeviceConfig, Dialect, Finding } from './model.js';
import { parseDeviceConfig } from './parse.js';
import { planToYaml } from './yaml.js';

export type { DeviceConfig, Dialect, Finding } from './model.js';
export type { ImportOptions } from './build.js';
export { parseDeviceConfig } from './parse.js';
export { FRR_DEFAULT_MAXIMUM_PATHS } from './build.js';

export interface ImportResult {
  yaml: string;
  topology: Topology;
  fabric: Fabric;
  plan: FabricPlan;
  devices: DeviceConfig[];
  warnings: Finding[];
}

export interface ConfigText {
  file: string;
  text: string;
}

/** Configs (one per device) to the topology a real fabric would converge to, and every finding on the way. */
export function importConfigs(configs: readonly ConfigText[], options: ImportOptions & { dialect?: Dialect | 'auto' } = {}): ImportResult {
  if (configs.length === 0) throw new UsageError('import needs at least one config file', 'import');
  const warnings: Finding[] = [];
  const devices = configs.map(({ file, text }) => {
    const r = parseDeviceConfig(text, file, options.dialect ?? 'auto');
    warnings.push(...r.findings);
    return r.device;
  });
  const plan = planFabric(devices, options);
  warnings.push(...plan.findings);
  const yaml = planToYaml(plan, configs.map((c) => c.file));
  // The YAML goes through the topology parser, so what is written is exactly what `--topology` will load.
  const topology = parseTopology(yaml, 'imported topology');
  const fabric = converge(topology);
  warnings.push(...lintFabric(plan, fabric));
  return { yaml, topology, fabric, plan, devices, warnings };
}

/** Reads the files and imports them; a missing or unreadable file is a usage error naming it. */
export function importConfigFiles(paths: readonly string[], options: ImportOptions & { dialect?: Dialect | 'auto' } = {}): ImportResult {
  const configs = paths.map((file) => {
    try {
      if (statSync(file).isDirectory()) throw new UsageError('is a directory, not a config file', file);
      return { file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'ENOENT' ? 'no such config file' : `cannot read config (${code ?? String(e)})`, file);
    }
  });
  return importConfigs(configs, options);
}

/** A finding as the one line SPEC §4 prints on standard error. */
export function formatFinding(f: Finding): string {
  return `warning [${f.kind}] ${f.node}: ${f.message}`;
}
