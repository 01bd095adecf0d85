import { Field, InputType } from 'type-graphql';
import { ClusterLabelInput } from './fleet.type.js';

@InputType('CreateClusterInput', { description: 'A cluster to register.' })
export class CreateClusterInput {
  @Field(() => String, { description: '1-100 characters, unique among live clusters (case-insensitive).' })
  name!: string;

  @Field(() => String, { description: 'Kubeconfig YAML or base64 of it; inline credentials only.' })
  kubeconfig!: string;

  @Field(() => Boolean, { description: 'Make it the default cluster (the one used when a request names none). Default false.', nullable: true })
  isDefault?: boolean | null;

  @Field(() => Boolean, { description: 'Probe and serve it (default true); disabled clusters are kept but not probed.', nullable: true })
  enabled?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Save without first reaching the cluster.' })
  skipConnectionTest?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Proxied requests impersonate the caller (default false).' })
  impersonate?: boolean | null;
  @Field(() => [ClusterLabelInput], { nullable: true, description: 'At most 64 labels.' })
  labels?: ClusterLabelInput[] | null;
}

@InputType('UpdateClusterInput', { description: 'Fields of a cluster to change; absent (or null) fields stay as they are.' })
export class UpdateClusterInput {
  @Field(() => String, { description: 'A new name: unique, 1-100 printable characters.', nullable: true })
  name?: string | null;

  @Field(() => String, { description: 'New kubeconfig YAML (inline credentials only); reached before it is saved.', nullable: true })
  kubeconfig?: string | null;

  @Field(() => Boolean, { description: 'true makes it the default cluster; false leaves no default when it was one.', nullable: true })
  isDefault?: boolean | null;

  @Field(() => Boolean, { description: 'false keeps the cluster but stops probing it.', nullable: true })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Set by hand (source MANUAL); an empty string returns to automatic discovery.' })
  prometheusUrl?: string | null;

  @Field(() => Boolean, { description: 'Whether proxied requests carry Impersonate-User and Impersonate-Group.', nullable: true })
  impersonate?: boolean | null;
  @Field(() => [ClusterLabelInput], { nullable: true, description: 'Replaces the whole label set (an empty list removes every label).' })
  labels?: ClusterLabelInput[] | null;
}
