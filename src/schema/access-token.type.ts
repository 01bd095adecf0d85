import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { AccessTokenView } from '../access/tokens.repository.js';
import type { IssuedKubeconfig } from '../access/token.manager.js';

@ObjectType('IssuedKubeconfig', { description: 'A kubeconfig for one cluster through the gateway\'s proxy, with a revocable token bound to it.' })
export class IssuedKubeconfigType implements IssuedKubeconfig {
  @Field(() => String, { description: 'Kubeconfig YAML: context named after the cluster, the gateway CA inline.' })
  kubeconfig!: string;

  @Field(() => ID, { description: 'The token\'s id, for accessTokens and revokeAccessToken.' })
  tokenId!: string;

  @Field(() => DateTimeResolver)
  expiresAt!: Date;
}

@ObjectType('AccessToken', { description: 'A token of an issued kubeconfig (never the token itself).' })
export class AccessTokenType implements AccessTokenView {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => ID)
  clusterId!: number;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  expiresAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  lastUsedAt!: Date | null;
}
