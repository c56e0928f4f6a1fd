// ringlock ring assign: move a tenant to a ring by pull request, editing rings/tenants.yaml through yaml's Document
// API so its comments, order and layout stay as they are.
import { isMap, parseDocument } from 'yaml';
import { InputError } from '../errors.js';
import { throwIfErrors } from '../model/manifest.js';
import { validateSchema } from '../model/schema.js';
import { parseSource } from '../model/source.js';
import type { TenantsFile } from '../model/types.js';
import type { Outcome, Session } from './session.js';

export interface AssignInput {
  tenant: string;
  ring: string;
  reason: string;
}

export type AssignResult =
  | { status: 'already-assigned'; tenant: string; ring: string }
  | ({ tenant: string; ring: string; previous?: string; title: string; body: string } & Outcome);

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EMPTY = '# tenant → ring. Schema: schemas/tenants.schema.json\ntenants: {}\n';

/** The tenants file text with `tenant` set to `ring`: an existing entry changes in place, a new one goes last. */
export function assignTenantText(text: string, tenant: string, ring: string): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  const tenants = doc.get('tenants', true);
  if (isMap(tenants) && tenants.flow && tenants.items.length === 0) tenants.flow = false;
  doc.setIn(['tenants', tenant], ring);
  return doc.toString({ lineWidth: 0 });
}

export async function assignTenant(s: Session, input: AssignInput): Promise<AssignResult> {
  if (!TENANT.test(input.tenant))
    throw new InputError('cli/tenant', `"${input.tenant}" is not a tenant id`, {
      expected: "letters, digits, '.', '_' or '-', starting with a letter or digit, at most 128 characters",
    });
  const ring = s.ring(input.ring, 'ring');
  const file = s.path(s.config.tenantsFile);
  const text = (await s.read(file)) ?? EMPTY;
  const doc = parseSource(file, text);
  throwIfErrors(validateSchema('tenants', doc));
  const previous = (doc.value as TenantsFile).tenants[input.tenant];
  if (previous === ring.name) return { status: 'already-assigned', tenant: input.tenant, ring: ring.name };
  const edited = assignTenantText(text, input.tenant, ring.name);
  const title = previous
    ? `move tenant ${input.tenant} from ${previous} to ${ring.name}`
    : `assign tenant ${input.tenant} to ${ring.name}`;
  const body = [
    '<!-- ringlock:tenants -->',
    `## ${previous ? `Move \`${input.tenant}\` from \`${previous}\` to \`${ring.name}\`` : `Assign \`${input.tenant}\` to \`${ring.name}\``}`,
    '',
    `**Reason:** ${input.reason}`,
    '',
    `When this merges, \`${input.tenant}\` is served by ring \`${ring.name}\`${ring.description ? ` (${ring.description})` : ''}.`,
    '',
    '<sub>Opened by `ringlock ring assign`.</sub>',
  ].join('\n');
  const outcome = await s.publish({
    branch: `ringlock/tenants/${input.tenant}-${ring.name}`,
    files: new Map([[file, edited]]),
    message: `${title}\n\n${input.reason}\n\nRinglock-Tenant: ${input.tenant} ${previous ?? '-'}->${ring.name}\n`,
    title,
    body,
    labels: ['ringlock:tenants', `ring:${ring.name}`],
    reviewers: ring.reviewers,
  });
  return {
    tenant: input.tenant,
    ring: ring.name,
    ...(previous ? { previous } : {}),
    title,
    body,
    ...outcome,
  };
}
