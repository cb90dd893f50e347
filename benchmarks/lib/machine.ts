// A one-paragraph description of the machine and build, printed with every benchmark table.
import {execSync} from 'node:child_process';
import {cpus, totalmem} from 'node:os';

import {info} from '@ibotjs/tfjs-backend-native';

export function describeMachine(): string {
  const i = info();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', {encoding: 'utf8'}).trim();
  } catch {
    // Not a git checkout.
  }
  const gpus = i.cuda.devices.map((d) => `${d.name} (cc ${d.computeCapability})`).join(', ');
  return [
    `${cpu}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.versions.node}`,
    `ibotjs addon: CPU ISA ${i.cpu.isa}, ${i.cpu.threads} threads; CUDA ${i.cuda.compiled ? 'compiled' : 'not compiled'}` +
        (i.cuda.available ? `, devices: ${gpus}` : ` (off: ${i.cuda.reason})`),
    `commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  ].join('\n');
}
