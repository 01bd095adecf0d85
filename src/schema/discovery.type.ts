import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { DiscoveryStateValue } from '../db/schema.js';
import { DiscoveryState } from './enums.js';

@ObjectType('DiscoveryStatus', { description: 'State of the latest Prometheus discovery task of a cluster.' })
export class DiscoveryStatusType {
  @Field(() => ID, { description: 'The cluster the task searched.' })
  clusterId!: number;

  @Field(() => ID, { nullable: true, description: 'Null when no discovery has run for the cluster.' })
  taskId!: number | null;

  @Field(() => DiscoveryState, { description: 'Where the task is in its lifecycle.' })
  state!: DiscoveryStateValue;

  @Field(() => DateTimeResolver, { description: 'When the task was created.', nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeResolver, { description: 'When the task ended; null while PENDING or RUNNING.', nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { description: 'The Prometheus found (state FOUND); null otherwise.', nullable: true })
  prometheusUrl!: string | null;

  @Field(() => String, { description: 'What happened, in words: what was found or why nothing was.', nullable: true })
  message!: string | null;

  @Field(() => Int, { description: 'How many candidate services were tried so far.', nullable: true })
  candidatesChecked!: number | null;
}
