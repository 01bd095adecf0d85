import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { DiscoveryStateValue } from '../db/schema.js';
import { DiscoveryState } from './enums.js';

@ObjectType('DiscoveryStatus', { description: 'State of the latest Prometheus discovery task of a cluster.' })
export class DiscoveryStatusType {
  @Field(() => ID)
  clusterId!: number;

  @Field(() => ID, { nullable: true, description: 'Null when no discovery has run for the cluster.' })
  taskId!: number | null;

  @Field(() => DiscoveryState)
  state!: DiscoveryStateValue;

  @Field(() => DateTimeResolver, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { nullable: true })
  prometheusUrl!: string | null;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => Int, { nullable: true })
  candidatesChecked!: number | null;
}
