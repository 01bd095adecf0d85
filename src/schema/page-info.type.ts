import { Field, ObjectType } from 'type-graphql';

/** Cursor pagination state shared by every connection type (DESIGN: `type PageInfo`). */
@ObjectType('PageInfo', { description: 'Keyset paging: pass endCursor as `after` to get the next page.' })
export class PageInfoType {
  @Field(() => Boolean, { description: 'Whether another page follows this one.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; opaque.' })
  endCursor!: string | null;
}
