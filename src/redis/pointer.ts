// The ring's pointer as stored in Valkey/Redis, and the one Lua script that switches it: the generation check, the ring
// key and every tenant key of the ring in one atomic step. A reader sees the old set or the new one, never half; a
// writer whose view is stale (another writer moved the generation on) changes nothing.

/** One active module in the ring's pointer. */
export interface PointerModule {
  version: string;
  /** The content hash, when the writer knows it (the publisher does). */
  sha256?: string;
  /** The bundle's directory in the storage: `{name}/{version}-{hash8}`. */
  dir: string;
  /** The versioned entry URL the shell loads. */
  entry: string;
}

/** The document at the ring key. */
export interface RingPointer {
  ring: string;
  generation: number;
  modules: Record<string, PointerModule>;
  /** The ring's tenants, each with a tenant key holding `tenantValue(modules)`. */
  tenants: string[];
  updatedAt: string;
  /**
   * The order of the lock the pointer was switched from: its commit's committer time (Unix seconds) and commit, when
   * the writer's workspace knew them from git. A writer whose lock is older cannot switch the pointer (the script).
   */
  lockAt?: number;
  lockCommit?: string;
}

/** What a tenant key holds: module name → versioned entry URL, names sorted (the SeptemCore shape). */
export function tenantValue(modules: Record<string, { entry?: string }>): string {
  const out: Record<string, string> = {};
  for (const name of Object.keys(modules).sort()) {
    const e = modules[name]!.entry;
    if (e !== undefined) out[name] = e;
  }
  return JSON.stringify(out);
}

/**
 * KEYS: generation, ring, the tenant keys to set, then those to delete (tenants that left the ring).
 * ARGV: mode, generation, number of keys to set, the ring document, the writer's lock order ('' unknown), '1' to
 * override the lock-order check (an explicit operator override), the values of the keys to set.
 * mode `next`: ARGV generation must be the current one; the keys get current + 1 (the target's switch).
 * mode `newer`: ARGV generation must be above the current one; the keys get it.
 * mode `atleast`: ARGV generation must be the current one or above; the keys get it (a publisher's snapshot: the same
 * generation with other content — a new commit, the same modules — is written too).
 * The ring document's `"generation":0` placeholder is replaced by the generation written.
 * A writer whose lock order is below the stored document's `lockAt` changes nothing: {2, current generation}.
 * Returns {1, generation written} or {0, current generation}.
 */
export const SWITCH_SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local gen = tonumber(ARGV[2])
local order = tonumber(ARGV[5])
if order and ARGV[6] ~= '1' then
  local raw = redis.call('GET', KEYS[2])
  if raw then
    local ok, d = pcall(cjson.decode, raw)
    if ok and type(d) == 'table' and type(d.lockAt) == 'number' and d.lockAt > order then return {2, cur} end
  end
end
local nxt
if ARGV[1] == 'next' then
  if cur ~= gen then return {0, cur} end
  nxt = cur + 1
elseif ARGV[1] == 'atleast' then
  if gen < cur then return {0, cur} end
  nxt = gen
else
  if gen <= cur then return {0, cur} end
  nxt = gen
end
local n = tonumber(ARGV[3])
local doc = string.gsub(ARGV[4], '"generation":0,', '"generation":' .. nxt .. ',', 1)
redis.call('SET', KEYS[2], doc)
for i = 1, n do redis.call('SET', KEYS[2 + i], ARGV[6 + i]) end
for i = 3 + n, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], nxt)
return {1, nxt}
`;

/** The arguments of one switch, plain data (they cross to the worker thread). */
export interface SwitchRequest {
  mode: 'next' | 'newer' | 'atleast';
  generation: number;
  generationKey: string;
  ringKey: string;
  /** The ring document, its generation 0 (the script writes the real one). */
  doc: RingPointer;
  set: { key: string; value: string }[];
  del: string[];
  /** The writer's lock order (RingPointer.lockAt); unset: unknown, not checked. */
  lockAt?: number;
  /** Switch even when the stored document names a newer lock (the operator's explicit override). */
  override?: boolean;
}

export interface SwitchResult {
  ok: boolean;
  generation: number;
  /** Refused because the stored document names a newer lock than the writer's. */
  ahead?: boolean;
}

/** What a read of the ring returns: its generation, its document and the values of the given tenant keys. */
export interface RingRead {
  generation: number;
  doc: RingPointer | undefined;
  /** Raw value of each requested tenant key (null: absent). */
  tenants: (string | null)[];
}

/** The ring document JSON with `generation` first, so the script's placeholder replacement finds it. */
export function docText(doc: RingPointer): string {
  const { generation: _g, ...rest } = doc;
  return JSON.stringify({ generation: 0, ...rest });
}
