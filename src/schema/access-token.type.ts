import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { AccessTokenView } from '../access/tokens.repository.js';
import type { IssuedKubeconfig } from '../access/token.manager.js';

@ObjectType('IssuedKubeconfig', { description: "A kubeconfig for one cluster through the gateway's proxy, with a revocable token bound to it." })
export class IssuedKubeconfigType implements IssuedKubeconfig {
  @Field(() => String, { description: 'Kubeconfig YAML: context named after the cluster, the gateway CA inline.' })
  kubeconfig!: string;

  @Field(() => ID, { description: "The token's id, for accessTokens and revokeAccessToken." })
  tokenId!: string;

  @Field(() => DateTimeResolver, { description: 'When the token, and so the kubeconfig, stops working.' })
  expiresAt!: Date;
}

@ObjectType('AccessToken', { description: 'A token of an issued kubeconfig (never the token itself).' })
export class AccessTokenType implements AccessTokenView {
  @Field(() => ID, { description: 'The token id (uuid), for revokeAccessToken.' })
  id!: string;

  @Field(() => String, { description: 'Whose token it is: the subject that issued the kubeconfig.' })
  subject!: string;

  @Field(() => ID, { description: 'The one cluster the token is valid for.' })
  clusterId!: number;

  @Field(() => DateTimeResolver, { description: 'When the kubeconfig was issued.' })
  createdAt!: Date;

  @Field(() => DateTimeResolver, { description: 'When the token stops working.' })
  expiresAt!: Date;

  @Field(() => DateTimeResolver, { description: 'When it was revoked; null while not revoked.', nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeResolver, { description: 'The last time a request used it; null if never.', nullable: true })
  lastUsedAt!: Date | null;
}
