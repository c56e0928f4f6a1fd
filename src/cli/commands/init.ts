// ringlock init: scaffold ringlock into an existing platform repository (the plan is src/init/scaffold.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ExitCode, InputError } from '../../errors.js';
import { type InitOptions, type InitPlan, planInit, writeInit } from '../../init/scaffold.js';
import { ACTION_PLACEHOLDER, IMAGE_PLACEHOLDER } from '../../init/shipped.js';
import { lockSchemaRef } from '../../model/schema-url.js';
import { stringOpt } from '../common.js';
import { formatDiagnostic, type Io, json, paint } from '../output.js';
import type { CommandContext } from '../spec.js';

export async function run(ctx: CommandContext): Promise<number> {
  const dryRun = ctx.options['dry-run'] === true;
  const opts: InitOptions = {
    root: ctx.cwd,
    modules: stringOpt(ctx, 'modules'),
    platformVersion: stringOpt(ctx, 'platform-version'),
    name: stringOpt(ctx, 'name'),
    skipExisting: ctx.options['skip-existing'] === true,
    // A user's repository has no schemas/ folder: its locks point at the published package's schema.
    lockSchema: lockSchemaRef(undefined),
    refs: { action: actionRef(stringOpt(ctx, 'action')), image: imageRef(stringOpt(ctx, 'image')) },
  };
  let plan: InitPlan;
  try {
    plan = await planInit(opts);
  } catch (e) {
    // The one question, and only on a terminal: off one (CI, scripts) the error names the flag instead.
    const interactive = !ctx.json && ctx.io.tty && process.stdin.isTTY === true;
    if (!interactive || !(e instanceof InputError) || e.code !== 'init/platform-version') throw e;
    if (opts.platformVersion !== undefined) throw e;
    plan = await planInit({ ...opts, platformVersion: await askVersion(ctx.io) });
  }
  const written = dryRun ? [] : writeInit(plan);
  const status = (path: string, exists: boolean) =>
    exists ? 'skipped' : dryRun ? 'would write' : written.includes(path) ? 'written' : 'skipped';
  if (ctx.json) {
    ctx.io.out(
      json({
        ok: true,
        dryRun,
        name: plan.name,
        platformVersion: plan.platform.version,
        platformVersionFrom: plan.platform.from,
        modulesDir: plan.modulesDir,
        trackingRing: plan.trackingRing,
        modules: plan.modules,
        files: plan.files.map((f) => ({ path: f.path, what: f.what, status: status(f.path, f.exists) })),
        // As lock and verify list them: folders without a manifest, a second manifest beside the first.
        warnings: plan.warnings.map((d) => ({
          code: d.rule,
          ...(d.file ? { file: d.file } : {}),
          message: d.message,
          ...(d.expected ? { fix: d.expected } : {}),
        })),
      }),
    );
    return ExitCode.Ok;
  }
  const io = ctx.io;
  for (const d of plan.warnings) io.err(formatDiagnostic(d, io));
  io.out(
    `${plan.name}: platform ${plan.platform.version} (from ${plan.platform.from}), ${plan.modules.length} module(s) in ${plan.modulesDir}/\n`,
  );
  const width = Math.max(...plan.files.map((f) => f.path.length));
  for (const f of plan.files) {
    const s = status(f.path, f.exists);
    const mark =
      s === 'written'
        ? paint(io, 'green', 'wrote      ')
        : s === 'would write'
          ? paint(io, 'cyan', 'would write')
          : paint(io, 'yellow', 'skipped    ');
    io.out(
      `  ${mark} ${f.path.padEnd(width)}  ${paint(io, 'gray', s === 'skipped' ? 'exists, left as is' : f.what)}\n`,
    );
  }
  // Placeholders fail closed; say so, on stderr, whenever one was written (or would be).
  const writes = (prefix: string) =>
    plan.files.some((f) => f.path.startsWith(prefix) && status(f.path, f.exists) !== 'skipped');
  if (opts.refs?.action === undefined && writes('.github/'))
    io.err(
      `${paint(io, 'yellow', 'warning')}: the workflows use the placeholder ${ACTION_PLACEHOLDER} and fail until you set the Action: --action <owner>/ringlock@<commit SHA>, or edit .github/workflows/ringlock-*.yml\n`,
    );
  if (opts.refs?.action !== undefined && !/@[0-9a-f]{40}$/.test(opts.refs.action) && writes('.github/'))
    io.err(
      `${paint(io, 'yellow', 'warning')}: --action ${opts.refs.action} is not pinned by a full commit SHA: a tag can be moved to other code; pin <owner>/ringlock@<40-hex SHA> (the vX.Y.Z-action tag's commit)\n`,
    );
  if (opts.refs?.image === undefined && writes('deploy/'))
    io.err(
      `${paint(io, 'yellow', 'warning')}: the overlays name the image ${IMAGE_PLACEHOLDER}, which never pulls: --image <registry>/<owner>/ringlock, or kustomize edit set image in deploy/kubernetes/base\n`,
    );
  if (!ignoresLocalState(plan.root))
    io.out(
      `hint: add .ringlock/ to .gitignore — a local publish or apply keeps its registry and target state there\n`,
    );
  if (dryRun) io.out('dry run: nothing written\n');
  else
    io.out(
      `next: review ringlock.yaml (reviewers, registry, target) and deploy/kubernetes/, then commit and open a pull request — ringlock check runs on it\n`,
    );
  return ExitCode.Ok;
}

/** Whether the repository's top .gitignore already keeps ringlock's local folder out of commits. */
function ignoresLocalState(root: string): boolean {
  try {
    return /^\/?\.ringlock\/?\s*$/m.test(readFileSync(join(root, '.gitignore'), 'utf8'));
  } catch {
    return false;
  }
}

async function askVersion(io: Io): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    io.err('No VERSION file, nor a version in composer.json or package.json.\n');
    const answer = (await rl.question("The platform's current version (e.g. 1.0.0): ")).trim();
    // Checked like the flag: a bad answer is the same exit 2 as a bad --platform-version.
    return answer;
  } finally {
    rl.close();
  }
}

/** `--action`: a GitHub Action reference, `owner/repo[/path]@ref` (a commit SHA is what the README asks for). */
function actionRef(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._/-]+)?@[A-Za-z0-9._/-]+$/.test(v))
    throw new InputError('cli/action', `--action ${v}: not a GitHub Action reference`, {
      expected: '<owner>/ringlock@<commit SHA>',
    });
  return v;
}

/** `--image`: an OCI image name without tag or digest, lower case. */
function imageRef(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/.test(v))
    throw new InputError('cli/image', `--image ${v}: not an image name (lower case, no tag)`, {
      expected: 'e.g. ghcr.io/your-org/ringlock',
    });
  return v;
}
