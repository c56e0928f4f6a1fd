// Worker thread entry (dist/extract-worker.js): extracts one artifact into its staging dir and hashes the tree,
// so several modules are prepared on several cores while the main thread switches and records.
import { parentPort } from 'node:worker_threads';
import { extractArchive } from '../artifacts/extract.js';
import { RinglockError } from '../errors.js';
import { hashTree } from '../hash/tree-hash.js';

interface Job {
  id: number;
  artifact: string;
  staging: string;
  display: string;
}

parentPort?.on('message', async (job: Job) => {
  try {
    await extractArchive(job.artifact, job.staging, { display: job.display });
    const h = await hashTree(job.staging, job.display, { workers: 0 });
    parentPort!.postMessage({ id: job.id, ok: true, digest: h.digest });
  } catch (e) {
    const err = e instanceof RinglockError ? e : undefined;
    parentPort!.postMessage({
      id: job.id,
      ok: false,
      error: {
        kind: err ? err.constructor.name : 'Error',
        code: err?.code ?? 'apply/extract',
        message: e instanceof Error ? e.message : String(e),
        file: err?.file,
        expected: err?.expected,
      },
    });
  }
});
