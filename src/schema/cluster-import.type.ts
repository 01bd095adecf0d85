import { ClusterLabelInput } from './fleet.type.js';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import {
  IMPORT_ACTIONS,
  IMPORT_OUTCOMES,
  type ImportActionValue,
  type ImportOutcomeValue,
  type ImportPlanItem,
  type ImportResultItem,
} from '../fleet/cluster-import.service.js';

const upperEnum = <V extends string>(values: readonly V[]) =>
  Object.freeze(Object.fromEntries(values.map((v) => [v.toUpperCase(), v]))) as { [K in V as Uppercase<K>]: K };

export const ImportAction = upperEnum(IMPORT_ACTIONS);
export const ImportOutcome = upperEnum(IMPORT_OUTCOMES);
registerEnumType(ImportAction, {
  name: 'ImportAction',
  description: 'What applying would do with one context.',
  valuesConfig: {
    CREATE: { description: 'A new cluster would be registered.' },
    UPDATE: { description: 'The existing cluster of the same name and server would get the new credentials (replaceExisting).' },
    UNCHANGED: { description: 'The existing cluster already has these settings.' },
    SKIP: { description: 'Nothing would be done; reason says why.' },
  },
});
registerEnumType(ImportOutcome, {
  name: 'ImportOutcome',
  description: 'What applying did with one context.',
  valuesConfig: {
    CREATED: { description: 'A new cluster was registered.' },
    UPDATED: { description: 'The existing cluster got the new credentials.' },
    UNCHANGED: { description: 'The existing cluster already had these settings.' },
    SKIPPED: { description: 'Nothing was done; message says why.' },
    FAILED: { description: 'This context could not be imported (message says why); the others still were.' },
  },
});

@InputType('ClusterImportInput', { description: 'A kubeconfig to import, and how.' })
export class ClusterImportInput {
  @Field(() => String, { description: 'Kubeconfig YAML (or base64 of it) with any number of contexts; inline credentials only.' })
  kubeconfig!: string;

  @Field(() => [String], { nullable: true, description: 'Only these contexts; all when absent.' })
  contexts?: string[] | null;

  @Field(() => [ClusterLabelInput], { nullable: true, description: 'Labels given to every created cluster.' })
  labels?: ClusterLabelInput[] | null;

  @Field(() => String, { nullable: true, description: 'Prepended to each context name to form the cluster name.' })
  namePrefix?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Replace the credentials of existing clusters of the same name and server.' })
  updateExisting?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Make the cluster of `current-context` the default.' })
  setDefaultFromCurrentContext?: boolean | null;
}

@ObjectType('ClusterImportPlanItem', { description: 'What applying would do with one context.' })
export class ClusterImportPlanItemType implements Omit<ImportPlanItem, 'existingClusterId'> {
  @Field(() => String, { description: 'The context name in the kubeconfig.' })
  context!: string;

  @Field(() => String, { description: 'The cluster name: the context name with namePrefix.' })
  name!: string;

  @Field(() => String, { description: "The context's API server URL; null when the kubeconfig does not give one.", nullable: true })
  server!: string | null;

  @Field(() => ImportAction, { description: 'What applying would do.' })
  action!: ImportActionValue;

  @Field(() => String, { nullable: true, description: 'Why SKIP (or UPDATE), or why the server did not answer.' })
  reason!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the server answered as Kubernetes; null when not probed.' })
  reachable!: boolean | null;

  @Field(() => String, { description: "The server's version when it answered; null otherwise.", nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => ID, { description: 'The registered cluster of the same name, if any.', nullable: true })
  existingClusterId!: number | null;
}

@ObjectType('ClusterImportPlan', { description: 'What applying the import would do, per context.' })
export class ClusterImportPlanType {
  @Field(() => [ClusterImportPlanItemType], { description: 'One item per selected context of the kubeconfig.' })
  items!: ClusterImportPlanItemType[];
}

@ObjectType('ClusterImportResultItem', { description: 'What applying did with one context.' })
export class ClusterImportResultItemType implements ImportResultItem {
  @Field(() => String, { description: 'The context name in the kubeconfig.' })
  context!: string;

  @Field(() => String, { description: 'The cluster name: the context name with namePrefix.' })
  name!: string;

  @Field(() => ImportOutcome, { description: 'What was done.' })
  outcome!: ImportOutcomeValue;

  @Field(() => ID, { description: 'The cluster created or updated; null when none was.', nullable: true })
  clusterId!: number | null;

  @Field(() => String, { description: 'Why it was skipped or failed; null when it went through.', nullable: true })
  message!: string | null;
}

@ObjectType('ClusterImportResult', { description: 'What applying the import did, per context.' })
export class ClusterImportResultType {
  @Field(() => [ClusterImportResultItemType], { description: 'One item per selected context of the kubeconfig.' })
  items!: ClusterImportResultItemType[];
}
