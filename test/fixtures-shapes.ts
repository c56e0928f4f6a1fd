// The two platform shapes of ../shared/platform-formats.md as their teams write them: a SeptemCore module manifest
// with every field of its table, and AutoCom module.json files (PascalCase folders, alias, released_at, PHP lifecycle).
import type { Tree } from './helpers.js';

/** SeptemCore's module.manifest.json for @acme/crm: every field of its table (healthCheck a path). */
export const SEPTEMCORE_CRM = {
  name: '@acme/crm',
  version: '1.2.0',
  description: 'Contacts and deals',
  entry: 'https://cdn.example.com/modules/@acme/crm/1.2.0/remoteEntry.js',
  exposedComponent: 'CrmApp',
  route: '/crm',
  icon: 'users',
  permissions: ['crm.contacts.read', 'crm.contacts.write', 'crm.deals.read'],
  dependencies: { '@platform/sdk': '^3.0.0' },
  healthCheck: '/api/modules/crm/health',
  kernelSdkVersion: '^3.1.0',
  events: { publishes: ['crm.contact.created'], subscribes: ['billing.invoice.paid'] },
  notificationChannels: [{ id: 'crm-email', type: 'email' }],
  authProviders: [],
  embeds: [{ slot: 'contact.sidebar', component: 'DealsPanel' }],
  dashboardWidget: { component: 'DealsWidget', title: 'Open deals', defaultSize: '2x1' },
  category: 'crm',
  dataApi: { models: [{ name: 'Contact', fields: { email: 'string' } }] },
};

/** The SeptemCore fields ringlock does not interpret (strict mode refuses each). */
export const SEPTEMCORE_OWN_FIELDS = [
  'entry',
  'exposedComponent',
  'route',
  'icon',
  'permissions',
  'kernelSdkVersion',
  'events',
  'notificationChannels',
  'authProviders',
  'embeds',
  'dashboardWidget',
  'category',
  'dataApi',
];

export const SEPTEMCORE_CONFIG = `apiVersion: ringlock/v1
platform:
  version: 2.0.0
modules:
  dir: modules
rings:
  - name: canary
  - name: stable
    promoteFrom: canary
`;

/** A SeptemCore-shaped platform: @acme/crm (full manifest) and @acme/reports (needs @acme/crm and the SDK). */
export function septemcoreTree(manifest: Record<string, unknown> = SEPTEMCORE_CRM): Tree {
  return {
    'modules/@acme/crm/module.manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'modules/@acme/crm/remoteEntry.js': 'export const CrmApp = () => null;\n',
    'modules/@acme/reports/module.manifest.json': `${JSON.stringify(
      {
        name: '@acme/reports',
        version: '0.4.0',
        description: 'Reports',
        entry: 'https://cdn.example.com/modules/@acme/reports/0.4.0/remoteEntry.js',
        permissions: ['reports.view'],
        dependencies: { '@platform/sdk': '^3.0.0', '@acme/crm': '^1.0.0' },
        healthCheck: '/api/modules/reports/health',
        category: 'analytics',
      },
      null,
      2,
    )}\n`,
    'modules/@acme/reports/remoteEntry.js': 'export const Reports = () => null;\n',
  };
}

/** AutoCom's module.json for Modules/Orders: PascalCase name, alias, released_at, the PHP lifecycle block. */
export const AUTOCOM_ORDERS = {
  name: 'Orders',
  alias: 'orders',
  description: 'Orders and checkout',
  version: '1.0.0',
  released_at: null,
  keywords: ['orders'],
  priority: 0,
  providers: ['Modules\\Orders\\Providers\\OrdersServiceProvider'],
  compatibility: { platform: '^2.0.0' },
  dependencies: { catalog: '^1.0.0' },
  lifecycle: {
    onEnable: 'Modules\\Orders\\App\\Lifecycle\\OnEnable',
    onDisable: 'Modules\\Orders\\App\\Lifecycle\\OnDisable',
    onInstall: 'Modules\\Orders\\App\\Lifecycle\\OnInstall',
    onUpgrade: 'Modules\\Orders\\App\\Lifecycle\\OnUpgrade',
    onDowngrade: 'Modules\\Orders\\App\\Lifecycle\\OnDowngrade',
  },
};

export const AUTOCOM_CONFIG = `apiVersion: ringlock/v1
platform:
  versionFile: VERSION
modules:
  dir: Modules
rings:
  - name: canary
  - name: stable
    promoteFrom: canary
`;

/** An AutoCom-shaped platform (without ringlock.yaml): Modules/Orders and Modules/Catalog, VERSION 2.0.0. */
export function autocomTree(orders: Record<string, unknown> = AUTOCOM_ORDERS): Tree {
  return {
    VERSION: '2.0.0\n',
    'composer.json': JSON.stringify({ name: 'acme/shop', version: '2.0.0' }),
    'Modules/Orders/module.json': `${JSON.stringify(orders, null, 4)}\n`,
    'Modules/Orders/App/Lifecycle/OnInstall.php': '<?php\nnamespace Modules\\Orders\\App\\Lifecycle;\n',
    'Modules/Orders/CHANGELOG.md': '# Changelog\n\n## [1.0.0]\n- first\n',
    'Modules/Catalog/module.json': `${JSON.stringify(
      {
        name: 'Catalog',
        alias: 'catalog',
        description: 'Products',
        version: '1.1.0',
        released_at: '2026-04-01T00:00:00+00:00',
        compatibility: { platform: '^2.0.0' },
      },
      null,
      4,
    )}\n`,
    'Modules/Catalog/CHANGELOG.md': '# Changelog\n\n## [1.1.0]\n- first\n',
    'Modules/Catalog/Providers/CatalogServiceProvider.php': '<?php\n',
  };
}
