import { Field, ObjectType } from 'type-graphql';

/** Cursor pagination state shared by every connection type (DESIGN: `type PageInfo`). */
@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; opaque.' })
  endCursor!: string | null;
}
