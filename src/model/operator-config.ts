// The operator config: a YAML file the operator mounts outside the repository (--operator-config). It says where
// credentials may go and what module code may see; ringlock.yaml chooses among what it allows.
import { type Diagnostic, InputError } from '../errors.js';
import { throwIfErrors } from './manifest.js';
import { validateSchema } from './schema.js';
import { diagAt } from './semantics.js';
import { parseJsonSource, parseYamlSource, type SourceDoc } from './source.js';

export interface OperatorConfig {
  apiVersion: 'ringlock/v1';
  kind: 'OperatorConfig';
  allowedHosts?: string[];
  credentials?: Record<string, string[]>;
  moduleUser?: { uid: number; gid: number };
  registry?: { url: string; tokenEnv?: string };
  github?: { apiUrl?: string };
  moduleEnv?: { pass?: string[]; set?: Record<string, string> };
}

export const OPERATOR_CONFIG_MAX_BYTES = 256 * 1024;

function urlDiagnostics(doc: SourceDoc, pointer: string, url: string | undefined): Diagnostic[] {
  if (url === undefined) return [];
  try {
    new URL(url);
    return [];
  } catch {
    return [
      diagAt(doc, pointer, 'operator/url', `${pointer}: not a URL`, 'e.g. https://registry.example.com/'),
    ];
  }
}

export function operatorDiagnostics(doc: SourceDoc): Diagnostic[] {
  const schema = validateSchema('operator', doc);
  if (schema.length > 0) return schema;
  const c = doc.value as OperatorConfig;
  return [
    ...urlDiagnostics(doc, '/registry/url', c.registry?.url),
    ...urlDiagnostics(doc, '/github/apiUrl', c.github?.apiUrl),
  ];
}

/** Parses and validates the operator config's text (`display` names it in errors); src/source/ reads the file. */
export function parseOperatorConfig(
  display: string,
  text: string,
): { doc: SourceDoc; config: OperatorConfig } {
  // YAML unless it is named .json (a ConfigMap key need not carry an extension; YAML reads JSON too).
  const doc = /\.json$/i.test(display) ? parseJsonSource(display, text) : parseYamlSource(display, text);
  if (doc.value === null || typeof doc.value !== 'object') {
    throw new InputError('operator/empty', 'the operator config is empty', {
      file: display,
      line: 1,
      column: 1,
      expected: 'apiVersion: ringlock/v1 and kind: OperatorConfig',
    });
  }
  throwIfErrors(operatorDiagnostics(doc));
  return { doc, config: doc.value as OperatorConfig };
}
