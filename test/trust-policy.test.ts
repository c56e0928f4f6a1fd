// The allow-list's matching, on plain data: which URLs a host rule admits.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOperatorConfig } from '../src/source/operator-config.js';
import { destinationAllowed, parseHostRule, type TrustPolicy } from '../src/trust/policy.js';
import { REPO_ROOT, testdir } from './helpers.js';

function rules(hosts: string[]) {
  return hosts.map((h) => {
    const r = parseHostRule(h);
    if (!r) throw new Error(`not a rule: ${h}`);
    return r;
  });
}

function policy(...hosts: string[]): TrustPolicy {
  return {
    allowedHosts: rules(hosts),
    credentials: new Map([['REGISTRY_TOKEN', rules(['registry.example.com', '127.0.0.1:8443'])]]),
    moduleEnv: { pass: [], set: {} },
    sources: [],
  };
}

describe('host rules', () => {
  it('parses hosts, ports, wildcards and IPv6, and refuses URLs, paths and junk', () => {
    expect(parseHostRule('Registry.Example.com')).toMatchObject({
      host: 'registry.example.com',
      wildcard: false,
    });
    expect(parseHostRule('10.0.0.7:8443')).toMatchObject({ host: '10.0.0.7', port: 8443 });
    expect(parseHostRule('*.example.com')).toMatchObject({ host: 'example.com', wildcard: true });
    expect(parseHostRule('[::1]:8080')).toMatchObject({ host: '::1', port: 8080 });
    for (const bad of [
      'https://x.example',
      'x.example/path',
      '*',
      '*.',
      'a..b',
      'x:0',
      'x:70000',
      'user@x',
      '',
    ]) {
      expect(parseHostRule(bad), bad).toBeUndefined();
    }
  });

  it('admits exactly the hosts and ports allowed; a rule without a port means https on 443', () => {
    const p = policy('registry.example.com', '127.0.0.1:8443', '*.hooks.example.org', '[::1]:1234');
    expect(destinationAllowed(p, 'https://registry.example.com/a')).toBe(true);
    expect(destinationAllowed(p, 'https://REGISTRY.example.com:443/a')).toBe(true);
    // no silent fall-back to plain http, or to another port
    expect(destinationAllowed(p, 'http://registry.example.com/a')).toBe(false);
    expect(destinationAllowed(p, 'https://registry.example.com:9000/a')).toBe(false);
    expect(destinationAllowed(p, 'https://registry.example.com.evil.test/')).toBe(false);
    expect(destinationAllowed(p, 'https://evilregistry.example.com/')).toBe(false);
    expect(destinationAllowed(p, 'http://127.0.0.1:8443/x')).toBe(true);
    expect(destinationAllowed(p, 'http://127.0.0.1:8444/x')).toBe(false);
    expect(destinationAllowed(p, 'https://a.hooks.example.org/')).toBe(true);
    expect(destinationAllowed(p, 'https://hooks.example.org/')).toBe(false);
    expect(destinationAllowed(p, 'https://hooks.example.org.evil.test/')).toBe(false);
    expect(destinationAllowed(p, 'http://[::1]:1234/')).toBe(true);
    // userinfo cannot smuggle another host in
    expect(destinationAllowed(p, 'https://registry.example.com@evil.test/')).toBe(false);
    expect(destinationAllowed(p, 'ftp://registry.example.com/')).toBe(false);
    expect(destinationAllowed(p, 'not a url')).toBe(false);
    // a URL the operator gave is trusted as it is (same origin)
    expect(
      destinationAllowed(policy(), 'https://ghe.example/api/v3', undefined, ['https://ghe.example/api']),
    ).toBe(true);
    expect(
      destinationAllowed(policy(), 'http://ghe.example/api/v3', undefined, ['https://ghe.example/api']),
    ).toBe(false);
  });

  it('sends a credential only to a host the operator bound that credential to', () => {
    const p = policy('hooks.example.org');
    expect(destinationAllowed(p, 'https://registry.example.com/', 'REGISTRY_TOKEN')).toBe(true);
    expect(destinationAllowed(p, 'http://127.0.0.1:8443/', 'REGISTRY_TOKEN')).toBe(true);
    // an allowed host is not a licence to receive credentials
    expect(destinationAllowed(p, 'https://hooks.example.org/', 'REGISTRY_TOKEN')).toBe(false);
    // another credential is not bound to the registry
    expect(destinationAllowed(p, 'https://registry.example.com/', 'GITHUB_TOKEN')).toBe(false);
  });
});

describe('the README', () => {
  it('shows an operator config that validates, with every key the schema knows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### The operator config'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const file = join(testdir(), 'operator.yaml');
    writeFileSync(file, yaml!);
    const { config } = loadOperatorConfig(file, 'operator.yaml');
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/operator-config.schema.json'), 'utf8'));
    expect(Object.keys(config).sort()).toEqual(Object.keys(schema.properties).sort());
  });
});
