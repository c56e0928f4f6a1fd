// The PostgreSQL store's schema, as versioned forward-only migrations. ringlock applies the missing ones on start, in
// one transaction under a transaction-scoped advisory lock (two replicas starting at once migrate once); a database
// whose schema is newer than this ringlock knows is refused. Never edit a released migration: add the next one.
// The README's "State on PostgreSQL" section documents the tables; `module_versions` is the view platforms query.

export interface Migration {
  version: number;
  name: string;
  /** The statements, for the schema named `s` (already quoted). */
  sql(s: string): string;
}

/** The ops whose record switched a version in: the rows of module_versions. */
const SWITCH_OPS = `('install','upgrade','rollback','reinstall','enable','adopt')`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state, journal, quarantine, append-only history, leases',
    sql: (s) => `
CREATE TABLE ${s}.leases (
  ring text PRIMARY KEY,
  token bigint NOT NULL DEFAULT 0,
  holder text,
  holder_pid integer,
  holder_backend_start timestamptz,
  acquired_at timestamptz,
  renewed_at timestamptz,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE TABLE ${s}.rings (
  ring text PRIMARY KEY,
  lock_commit text,
  tenants jsonb,
  blocked jsonb,
  unlinked jsonb,
  extra jsonb,
  suspension jsonb,
  token bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.deployed_modules (
  ring text NOT NULL,
  module text NOT NULL,
  version text NOT NULL,
  content_hash text NOT NULL,
  status text NOT NULL,
  origin text NOT NULL,
  path text,
  since timestamptz NOT NULL,
  entry jsonb NOT NULL,
  token bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ring, module)
);
CREATE TABLE ${s}.quarantine (
  ring text NOT NULL,
  position integer NOT NULL,
  module text NOT NULL,
  version text NOT NULL,
  integrity text,
  content_hash text,
  reason text NOT NULL,
  at timestamptz NOT NULL,
  entry jsonb NOT NULL,
  PRIMARY KEY (ring, position)
);
CREATE TABLE ${s}.journal (
  ring text PRIMARY KEY,
  id text NOT NULL,
  phase text NOT NULL,
  module text NOT NULL,
  entry jsonb NOT NULL,
  token bigint NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  ring text NOT NULL,
  module text NOT NULL,
  op text NOT NULL,
  from_version text,
  to_version text,
  content_hash text,
  integrity text,
  actor text NOT NULL,
  lock_commit text,
  reason text,
  outcome text NOT NULL,
  error text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  token bigint,
  record jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_ring_seq ON ${s}.history (ring, seq);
CREATE FUNCTION ${s}.history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ringlock history is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $$;
CREATE TRIGGER history_no_update BEFORE UPDATE OR DELETE ON ${s}.history
  FOR EACH ROW EXECUTE FUNCTION ${s}.history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON ${s}.history
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.history_append_only();
`,
  },
  {
    version: 2,
    name: 'module_versions view and the per-module history index',
    sql: (s) => `
CREATE INDEX history_module_seq ON ${s}.history (module, seq);
CREATE INDEX history_ring_module_seq ON ${s}.history (ring, module, seq);
CREATE VIEW ${s}.module_versions AS
SELECT h.seq AS id,
       h.module,
       h.to_version AS version,
       h.content_hash,
       h.ring,
       -- Live: the module is linked (not disabled) at this version — also while a failed or rolled-back newer one is
       -- reported beside it — and this is the latest record that switched that version in.
       (d.module IS NOT NULL AND d.status <> 'disabled' AND d.version = h.to_version
        AND h.seq = (SELECT max(h2.seq) FROM ${s}.history h2
                     WHERE h2.ring = h.ring AND h2.module = h.module AND h2.to_version = d.version
                       AND h2.outcome = 'succeeded' AND h2.op IN ${SWITCH_OPS})) AS is_active,
       h.actor,
       h.lock_commit AS commit,
       h.reason,
       h.op,
       h.finished_at AS created_at
  FROM ${s}.history h
  LEFT JOIN ${s}.deployed_modules d ON d.ring = h.ring AND d.module = h.module
 WHERE h.outcome = 'succeeded' AND h.op IN ${SWITCH_OPS} AND h.to_version IS NOT NULL;
COMMENT ON VIEW ${s}.module_versions IS 'One row per version a ring switched in (ringlock history: install, upgrade, rollback, reinstall, enable, adopt that succeeded); is_active: the version linked there now.';
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A PostgreSQL identifier ringlock accepts for its schema: lower case, digits, underscore; not quoted in docs. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name as a quoted identifier (validated by SCHEMA_NAME first). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The LISTEN/NOTIFY channel of a schema's change feed. */
export function changeChannel(schema: string): string {
  return `${schema}_changes`;
}
