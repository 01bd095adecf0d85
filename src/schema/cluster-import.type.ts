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

const upperEnum = <V extends string>(values: readonly V[]) => Object.freeze(Object.fromEntries(values.map((v) => [v.toUpperCase(), v]))) as { [K in V as Uppercase<K>]: K };

export const ImportAction = upperEnum(IMPORT_ACTIONS);
export const ImportOutcome = upperEnum(IMPORT_OUTCOMES);
registerEnumType(ImportAction, { name: 'ImportAction', description: 'What applying would do with one context.' });
registerEnumType(ImportOutcome, { name: 'ImportOutcome', description: 'What applying did with one context.' });

@InputType('ClusterImportInput')
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

@ObjectType('ClusterImportPlanItem')
export class ClusterImportPlanItemType implements Omit<ImportPlanItem, 'existingClusterId'> {
  @Field(() => String)
  context!: string;

  @Field(() => String, { description: 'The cluster name: the context name with namePrefix.' })
  name!: string;

  @Field(() => String, { nullable: true })
  server!: string | null;

  @Field(() => ImportAction)
  action!: ImportActionValue;

  @Field(() => String, { nullable: true, description: 'Why SKIP (or UPDATE), or why the server did not answer.' })
  reason!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the server answered as Kubernetes; null when not probed.' })
  reachable!: boolean | null;

  @Field(() => String, { nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => ID, { nullable: true })
  existingClusterId!: number | null;
}

@ObjectType('ClusterImportPlan')
export class ClusterImportPlanType {
  @Field(() => [ClusterImportPlanItemType])
  items!: ClusterImportPlanItemType[];
}

@ObjectType('ClusterImportResultItem')
export class ClusterImportResultItemType implements ImportResultItem {
  @Field(() => String)
  context!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ImportOutcome)
  outcome!: ImportOutcomeValue;

  @Field(() => ID, { nullable: true })
  clusterId!: number | null;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType('ClusterImportResult')
export class ClusterImportResultType {
  @Field(() => [ClusterImportResultItemType])
  items!: ClusterImportResultItemType[];
}
