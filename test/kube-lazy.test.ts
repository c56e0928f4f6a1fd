// @kubernetes/client-node is big: the kube runners and publisher load it only when they first talk to the API, so
// a bundle that merely lists them (the CLI's runtime) does not load it at start-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

it('bundled, the kube factories reach @kubernetes/client-node only through a dynamic import', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringlock-kube-lazy-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `export { KUBE_RUNNER_FACTORIES } from ${JSON.stringify(join(REPO_ROOT, 'src/kube/runners.ts'))};\n` +
        `export { configMapPublisherFactory } from ${JSON.stringify(join(REPO_ROOT, 'src/kube/configmap-publisher.ts'))};\n`,
    );
    const r = await build({
      entryPoints: { entry },
      outdir: join(dir, 'out'),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const outputs = r.metafile.outputs;
    const hasClient = (out: string) =>
      Object.keys(outputs[out]!.inputs).some((i) => i.includes('@kubernetes/client-node'));
    const entryOut = Object.keys(outputs).find((o) => outputs[o]!.entryPoint?.endsWith('entry.ts'))!;
    // Everything the entry loads statically, transitively.
    const staticallyLoaded = new Set<string>([entryOut]);
    for (const o of staticallyLoaded)
      for (const i of outputs[o]!.imports)
        if (i.kind === 'import-statement' && outputs[i.path]) staticallyLoaded.add(i.path);
    expect([...staticallyLoaded].filter(hasClient)).toEqual([]);
    expect(Object.keys(outputs).some(hasClient)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
