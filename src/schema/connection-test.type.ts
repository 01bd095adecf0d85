import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('ConnectionTestResult', { description: 'Outcome of a live connection test; an unreachable cluster is a CLUSTER_UNREACHABLE error.' })
export class ConnectionTestResultType {
  @Field(() => ID, { description: 'The cluster tested.' })
  clusterId!: number;

  @Field(() => String, { description: 'Its name.' })
  clusterName!: string;

  @Field(() => Boolean, { description: 'Whether the API server answered.' })
  connected!: boolean;

  @Field(() => String, { description: "The API server's version; null when it did not answer.", nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => Int, { description: 'Nodes counted during the test.', nullable: true })
  nodeCount!: number | null;

  @Field(() => DateTimeResolver, { description: 'When the test ran.' })
  testedAt!: Date;

  @Field(() => String, { description: 'The outcome in words.', nullable: true })
  message!: string | null;
}
