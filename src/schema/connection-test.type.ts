import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('ConnectionTestResult', { description: 'Outcome of a live connection test; an unreachable cluster is a CLUSTER_UNREACHABLE error.' })
export class ConnectionTestResultType {
  @Field(() => ID)
  clusterId!: number;

  @Field(() => String)
  clusterName!: string;

  @Field(() => Boolean)
  connected!: boolean;

  @Field(() => String, { nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => Int, { nullable: true })
  nodeCount!: number | null;

  @Field(() => DateTimeResolver)
  testedAt!: Date;

  @Field(() => String, { nullable: true })
  message!: string | null;
}
