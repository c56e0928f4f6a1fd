// Rendered Kubernetes objects checked against the Kubernetes OpenAPI schemas by two real libraries, not by hand:
// kubernetes-models (ajv validators generated from the schemas: types, required fields, enums) and the field lists of
// @kubernetes/client-node's generated models (a field the API does not know is an error, as `kubectl apply` with its
// default strict field validation makes it; ajv's schemas there allow any extra property).
import * as k8s from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML.
type Obj = Record<string, any>;
type Model = new (o: Obj) => { validate(): void };

/** apiVersion + kind → the kubernetes-models class that validates it and the client-node model that lists its fields. */
const KINDS: Record<string, { model: Model; fields: string }> = {
  'v1/ConfigMap': { model: ConfigMap as unknown as Model, fields: 'V1ConfigMap' },
  'v1/Namespace': { model: Namespace as unknown as Model, fields: 'V1Namespace' },
  'v1/PersistentVolumeClaim': {
    model: PersistentVolumeClaim as unknown as Model,
    fields: 'V1PersistentVolumeClaim',
  },
  'v1/Pod': { model: Pod as unknown as Model, fields: 'V1Pod' },
  'v1/Secret': { model: Secret as unknown as Model, fields: 'V1Secret' },
  'v1/Service': { model: Service as unknown as Model, fields: 'V1Service' },
  'v1/ServiceAccount': { model: ServiceAccount as unknown as Model, fields: 'V1ServiceAccount' },
  'apps/v1/Deployment': { model: Deployment as unknown as Model, fields: 'V1Deployment' },
  'batch/v1/Job': { model: Job as unknown as Model, fields: 'V1Job' },
  'networking.k8s.io/v1/Ingress': { model: Ingress as unknown as Model, fields: 'V1Ingress' },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy as unknown as Model,
    fields: 'V1NetworkPolicy',
  },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget as unknown as Model,
    fields: 'V1PodDisruptionBudget',
  },
  'rbac.authorization.k8s.io/v1/Role': { model: Role as unknown as Model, fields: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    model: RoleBinding as unknown as Model,
    fields: 'V1RoleBinding',
  },
};

interface Attribute {
  baseName: string;
  type: string;
}
type FieldModel = { getAttributeTypeMap?: () => Attribute[] };

/** The paths of fields in `value` that the model `type` (a client-node type expression) does not declare. */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value))
      for (const [i, v] of value.entries()) unknownFields(v, array[1]!, `${path}/${i}`, out);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object')
      for (const [k, v] of Object.entries(value as Obj)) unknownFields(v, map[1]!, `${path}/${k}`, out);
    return;
  }
  const model = (k8s as unknown as Record<string, FieldModel | undefined>)[type];
  const attrs = model?.getAttributeTypeMap?.();
  // string, number, boolean, Date, IntOrString, any: a leaf (its type is ajv's to judge).
  if (!attrs || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value as Obj)) {
    const attr = attrs.find((a) => a.baseName === k);
    if (!attr) out.push(`${path}/${k}`);
    else unknownFields(v, attr.type, `${path}/${k}`, out);
  }
}

/** Every problem of one object against the schemas of its kind, as `Kind/name: problem` lines; [] when valid. */
export function k8sProblems(obj: Obj): string[] {
  const id = `${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;
  const kind = KINDS[`${obj?.apiVersion}/${obj?.kind}`];
  if (!kind) return [`${id}: no schema here for apiVersion ${obj?.apiVersion} kind ${obj?.kind}`];
  const problems: string[] = [];
  try {
    new kind.model(obj).validate();
  } catch (e) {
    problems.push(`${id}: ${(e as Error).message}`);
  }
  const unknown: string[] = [];
  unknownFields(obj, kind.fields, '', unknown);
  for (const p of unknown) problems.push(`${id}: unknown field ${p}`);
  return problems;
}

/** Throws one error listing every problem of every object; returns how many objects were validated. */
export function validateK8s(objs: Obj[]): number {
  const problems = objs.flatMap(k8sProblems);
  if (problems.length > 0) throw new Error(`invalid Kubernetes objects:\n${problems.join('\n')}`);
  return objs.length;
}
