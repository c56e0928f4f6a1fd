// The text of the files `ringlock init` writes itself (the workflows and Kubernetes overlays are copied from the
// package's examples/ instead): ringlock.yaml with its rings, and an empty tenants file.
import { yamlSchemaComment } from '../model/schema-url.js';
import type { PlatformVersion } from './discover.js';

/** The rings init sets up, first to last. */
export const INIT_RINGS = ['canary', 'edge', 'stable'] as const;

export interface ConfigInput {
  name: string;
  platform: PlatformVersion;
  modulesDir: string;
  locksDir: string;
  tenantsFile: string;
}

const str = (s: string) => (/^[A-Za-z0-9@._/-]+$/.test(s) && !/^[@-]/.test(s) ? s : JSON.stringify(s));

export function configText(c: ConfigInput): string {
  const version = c.platform.versionFile
    ? `  versionFile: ${str(c.platform.versionFile)} # the platform version the locks record; bump it on a platform release`
    : `  version: ${c.platform.version} # from ${c.platform.from}: keep it in step with the platform's releases (or use versionFile)`;
  return `${yamlSchemaComment('config.schema.json')}# ringlock configuration, written by \`ringlock init\`. Every key: the README's "ringlock.yaml" section.
apiVersion: ringlock/v1

platform:
  name: ${str(c.name)}
${version}

modules:
  dir: ${str(c.modulesDir)} # one folder per module, each with a module.json or module.manifest.json (name, version)

locks:
  dir: ${str(c.locksDir)} # one <ring>.lock.json per ring: what each ring runs, reviewed in pull requests
  tenants: ${str(c.tenantsFile)}

# Rings in promotion order: canary → edge → stable. Module changes land in canary (\`ringlock lock\` pins the sources
# there); \`ringlock promote\` moves a pin to the next ring once it has soaked, as a pull request that
# \`ringlock check\` gates.
rings:
  - name: canary
    description: internal staff and opted-in beta tenants
    tracksSource: true # its lock follows the module sources
    allowPrerelease: true # 1.2.0-rc.1 may run here and nowhere else
  - name: edge
    description: early-adopter tenants
    promoteFrom: canary
    minSoak: 24h # a version runs a day in canary before it may reach edge
    # reviewers: [your-org/release-engineers] # who must approve promotion pull requests
  - name: stable
    description: everyone else
    promoteFrom: edge
    minSoak: 72h # and three days in edge before stable
    # reviewers: [your-org/release-engineers, your-org/platform-oncall]

# Where the daemon (\`ringlock daemon\`, deploy/kubernetes/) gets artifacts and installs modules; uncomment and adapt.
# registry:
#   type: http
#   url: https://artifacts.example.com/ringlock
# target:
#   type: filesystem
#   path: /srv/platform/modules
#   keepVersions: 5
# health:
#   timeout: 60s
#   interval: 5s
`;
}

export function tenantsText(): string {
  return `${yamlSchemaComment('tenants.schema.json')}# Which ring each tenant runs, written by \`ringlock init\`. Add tenants here or with
# \`ringlock ring assign <tenant> <ring>\`, e.g.
#   acme-internal: canary
#   northwind: edge
tenants: {}
`;
}
