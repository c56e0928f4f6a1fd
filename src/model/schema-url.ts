// The `$schema` that files ringlock writes carry: a URL of the schema in the published package, at this version, so
// editors resolve it in any repository without installing anything (jsDelivr serves npm packages' files). The shipped
// schemas carry no `$id`, so their relative `$ref`s resolve beside the URL an editor fetched them from.
import { VERSION } from '../version.js';

export type SchemaFile =
  | 'ring-lock.schema.json'
  | 'config.schema.json'
  | 'tenants.schema.json'
  | 'module.schema.json'
  | 'operator-config.schema.json';

/** Where the package's `schemas/<file>` is served, at `version`. */
export function schemaUrl(file: SchemaFile, version: string = VERSION): string {
  return `https://cdn.jsdelivr.net/npm/ringlock@${version}/schemas/${file}`;
}

/**
 * The `$schema` of a lock: the one it has (a lock's bytes change only with what it pins: no churn when ringlock is
 * upgraded, and ringlock's own locks keep their path into this repository's schemas/), else the package URL.
 */
export function lockSchemaRef(previous: string | undefined): string {
  return previous ?? schemaUrl('ring-lock.schema.json');
}

/** The first line of a YAML file ringlock writes: the YAML language server's (VS Code's, JetBrains') schema comment. */
export function yamlSchemaComment(file: SchemaFile): string {
  return `# yaml-language-server: $schema=${schemaUrl(file)}\n`;
}
