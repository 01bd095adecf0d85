import { PageInfoType } from './page-info.type.js';
import { DateTimeResolver } from 'graphql-scalars';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { HealthStatusValue } from '../db/schema.js';
import { AVAILABILITY_WINDOWS, type AvailabilityView, type AvailabilityWindowValue } from '../fleet/availability.js';
import type { HealthEventView } from '../fleet/health-history.repository.js';
import { HealthStatus } from './enums.js';

/** `HOUR` … `MONTH` over the stored lower-case names (fleet/availability.ts holds the one list). */
export const AvailabilityWindow = Object.freeze(
  Object.fromEntries(Object.keys(AVAILABILITY_WINDOWS).map((w) => [w.toUpperCase(), w])) as { [K in AvailabilityWindowValue as Uppercase<K>]: K },
);
registerEnumType(AvailabilityWindow, { name: 'AvailabilityWindow', description: 'A window ending now: HOUR, DAY (24 h), WEEK (7 d), MONTH (30 d).' });

@ObjectType('HealthEvent', { description: 'A committed change of the shown health state.' })
export class HealthEventType implements Omit<HealthEventView, 'id' | 'clusterId'> {
  @Field(() => DateTimeResolver)
  at!: Date;

  @Field(() => HealthStatus)
  from!: HealthStatusValue;

  @Field(() => HealthStatus)
  to!: HealthStatusValue;

  @Field(() => String, { nullable: true, description: 'The reason the new state was shown with.' })
  message!: string | null;
}

@ObjectType('HealthEventConnection')
export class HealthEventConnectionType {
  @Field(() => [HealthEventType], { description: 'Newest first.' })
  items!: HealthEventType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@ObjectType('Availability', {
  description:
    'Computed from transitions over the window: healthyRatio = time in HEALTHY or WARNING ÷ observed time; reachableRatio also counts ERROR (the API server answered). Observed time starts at the first probe and excludes UNKNOWN (disabled) time.',
})
export class AvailabilityType implements AvailabilityView {
  @Field(() => AvailabilityWindow)
  window!: AvailabilityWindowValue;

  @Field(() => Int)
  observedSeconds!: number;

  @Field(() => Float, { nullable: true, description: 'Null when nothing was observed in the window.' })
  reachableRatio!: number | null;

  @Field(() => Float, { nullable: true, description: 'Null when nothing was observed in the window.' })
  healthyRatio!: number | null;

  @Field(() => DateTimeResolver, { nullable: true })
  lastReachableAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  lastHealthyAt!: Date | null;
}
