// The `$schema` that files ringlock writes carry: a URL of the schema in the published package, at this version, so
// editors resolve it in any repository without installing anything (jsDelivr serves npm packages' files).
import { VERSION } from './main.js';

/** Where the package's `schemas/<file>` is served, at `version`. */
export function schemaUrl(file: string, version: string = VERSION): string {
  return `https://cdn.jsdelivr.net/npm/ringlock@${version}/schemas/${file}`;
}

/**
 * The `$schema` of a lock: the one it has (a lock's bytes change only with what it pins: no churn when ringlock is
 * upgraded, and ringlock's own locks keep their path into this repository's schemas/), else the package URL.
 */
export function lockSchemaRef(previous: string | undefined): string {
  return previous ?? schemaUrl('ring-lock.schema.json');
}
