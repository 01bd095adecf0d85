import { Field, InputType } from 'type-graphql';
import { ClusterLabelInput } from './fleet.type.js';

@InputType('CreateClusterInput')
export class CreateClusterInput {
  @Field(() => String, { description: '1-100 characters, unique among live clusters (case-insensitive).' })
  name!: string;

  @Field(() => String, { description: 'Kubeconfig YAML or base64 of it; inline credentials only.' })
  kubeconfig!: string;

  @Field(() => Boolean, { nullable: true })
  isDefault?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Save without first reaching the cluster.' })
  skipConnectionTest?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Proxied requests impersonate the caller (default false).' })
  impersonate?: boolean | null;
  @Field(() => [ClusterLabelInput], { nullable: true, description: 'At most 64 labels.' })
  labels?: ClusterLabelInput[] | null;
}

@InputType('UpdateClusterInput')
export class UpdateClusterInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  kubeconfig?: string | null;

  @Field(() => Boolean, { nullable: true })
  isDefault?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Set by hand (source MANUAL); an empty string returns to automatic discovery.' })
  prometheusUrl?: string | null;

  @Field(() => Boolean, { nullable: true })
  impersonate?: boolean | null;
  @Field(() => [ClusterLabelInput], { nullable: true, description: 'Replaces the whole label set (an empty list removes every label).' })
  labels?: ClusterLabelInput[] | null;
}
