// The files `ringlock init` copies from the installed package (examples/github, examples/kubernetes) rather than
// embedding them, so the repository gets whatever version of the workflows and overlays this ringlock ships.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

/** The installed ringlock package's root: the nearest folder up from this file with ringlock's package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        if ((JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'ringlock') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new InternalError('init/package-root', `no ringlock package.json above ${from}`);
    dir = up;
  }
}

export interface ShippedFile {
  /** Where it goes in the platform repository, root-relative. */
  path: string;
  /** Where it comes from, package-relative (for messages). */
  from: string;
  text: string;
}

/** Where each shipped folder goes in the user's repository. */
export const SHIPPED = [
  { from: 'examples/github', to: '.github/workflows' },
  { from: 'examples/kubernetes', to: 'deploy/kubernetes' },
] as const;

/**
 * What the shipped examples name as the Action and the image (`acme`, an organisation nobody here controls) and what a
 * repository gets instead: the operator's own references, or placeholders that fail closed — a local action path that
 * does not exist, and a registry under `.invalid`, which never resolves — so nothing runs until someone chooses.
 */
const EXAMPLE_ACTION = 'acme/ringlock@v1';
const EXAMPLE_IMAGE = 'ghcr.io/acme/ringlock';
export const ACTION_PLACEHOLDER = './set-the-ringlock-action';
export const IMAGE_PLACEHOLDER = 'registry.invalid/set-the-ringlock-image/ringlock';

export interface ShippedRefs {
  /** `uses:` of the Action, e.g. `your-org/ringlock@<commit SHA>`. */
  action?: string;
  /** The image without tag, e.g. `ghcr.io/your-org/ringlock`. */
  image?: string;
}

/** Every file under the shipped folders, with its path in the user's repository; references to the examples path follow. */
export function shippedFiles(pkg = packageRoot(), refs: ShippedRefs = {}): ShippedFile[] {
  const out: ShippedFile[] = [];
  for (const { from, to } of SHIPPED) {
    const base = join(pkg, from);
    if (!existsSync(base)) {
      throw new InternalError(
        'init/shipped-missing',
        `this ringlock package has no ${from}/ (${base}): reinstall ringlock`,
      );
    }
    for (const rel of walk(base)) {
      const text = readFileSync(join(base, rel), 'utf8')
        .split(`${from}/`)
        .join(`${to}/`)
        .split(EXAMPLE_ACTION)
        .join(refs.action ?? ACTION_PLACEHOLDER)
        .split(EXAMPLE_IMAGE)
        .join(refs.image ?? IMAGE_PLACEHOLDER);
      out.push({ path: `${to}/${rel}`, from: `${from}/${rel}`, text });
    }
  }
  return out;
}

function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}
