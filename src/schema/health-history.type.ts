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
registerEnumType(AvailabilityWindow, {
  name: 'AvailabilityWindow',
  description: 'A window ending now: HOUR, DAY (24 h), WEEK (7 d), MONTH (30 d).',
  valuesConfig: {
    HOUR: { description: 'The last hour.' },
    DAY: { description: 'The last 24 hours.' },
    WEEK: { description: 'The last 7 days.' },
    MONTH: { description: 'The last 30 days.' },
  },
});

@ObjectType('HealthEvent', { description: 'A committed change of the shown health state.' })
export class HealthEventType implements Omit<HealthEventView, 'id' | 'clusterId'> {
  @Field(() => DateTimeResolver, { description: 'When the new state was committed.' })
  at!: Date;

  @Field(() => HealthStatus, { description: 'The state shown before.' })
  from!: HealthStatusValue;

  @Field(() => HealthStatus, { description: 'The state shown from then on.' })
  to!: HealthStatusValue;

  @Field(() => String, { nullable: true, description: 'The reason the new state was shown with.' })
  message!: string | null;
}

@ObjectType('HealthEventConnection', { description: 'One page of health transitions.' })
export class HealthEventConnectionType {
  @Field(() => [HealthEventType], { description: 'Newest first.' })
  items!: HealthEventType[];

  @Field(() => PageInfoType, { description: 'Whether more pages follow, and the cursor to ask for the next.' })
  pageInfo!: PageInfoType;
}

@ObjectType('Availability', {
  description:
    'Computed from transitions over the window: healthyRatio = time in HEALTHY or WARNING ÷ observed time; reachableRatio also counts ERROR (the API server answered). Observed time starts at the first probe and excludes UNKNOWN (disabled) time.',
})
export class AvailabilityType implements AvailabilityView {
  @Field(() => AvailabilityWindow, { description: 'The window the figures cover, ending now.' })
  window!: AvailabilityWindowValue;

  @Field(() => Int, { description: 'Seconds of the window with a known state (probed and enabled).' })
  observedSeconds!: number;

  @Field(() => Float, { nullable: true, description: 'Null when nothing was observed in the window.' })
  reachableRatio!: number | null;

  @Field(() => Float, { nullable: true, description: 'Null when nothing was observed in the window.' })
  healthyRatio!: number | null;

  @Field(() => DateTimeResolver, { description: 'The last time the API server answered (HEALTHY, WARNING or ERROR); null if never.', nullable: true })
  lastReachableAt!: Date | null;

  @Field(() => DateTimeResolver, { description: 'The last time the cluster was HEALTHY or WARNING; null if never.', nullable: true })
  lastHealthyAt!: Date | null;
}
