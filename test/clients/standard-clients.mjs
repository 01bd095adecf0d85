// Standard GraphQL clients, configured as their documentation's getting-started shows (default settings but for the
// URL and the Authorization header), run against a live gateway. Started by test/graphql-clients.real-clients.test.ts,
// which reads the one JSON line this prints. Needs the devDependencies @urql/core and @apollo/client (with rxjs);
// graphql-ws, jsonwebtoken and graphql come with the gateway's own dependencies.
//
// Environment: GATEWAY_URL, ADMIN_TOKEN, JWT_SECRET (to sign short-lived tokens for the reconnect check).
import { ApolloClient, gql as apolloGql, HttpLink, InMemoryCache } from '@apollo/client';
import { cacheExchange, Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';

const { GATEWAY_URL: url, ADMIN_TOKEN: token, JWT_SECRET: secret } = process.env;
const graphqlUrl = `${url}/graphql`;
const authorization = `Bearer ${token}`;

// The HTTP methods the clients chose, observed without changing their settings.
const methods = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  methods.push(init?.method ?? 'GET');
  return realFetch(input, init);
};
const lastMethod = () => methods.at(-1);

/** What a client made of an error: the codes it exposes, and whether it reported anything at all. */
const codesOf = (errors) => (errors ?? []).map((e) => e.extensions?.code ?? null);

async function urql() {
  const client = new Client({ url: graphqlUrl, exchanges: [cacheExchange, fetchExchange], fetchOptions: () => ({ headers: { authorization } }) });
  const out = {};
  const name = `urql-${process.pid}-${Date.now().toString(36)}`;
  const created = await client
    .mutation(urqlGql`mutation ($input: CreateClusterInput!) { createCluster(input: $input) { id name } }`, {
      input: { name, kubeconfig: KUBECONFIG, skipConnectionTest: true },
    })
    .toPromise();
  out.mutation = { method: lastMethod(), name: created.data?.createCluster?.name ?? null, error: created.error?.message ?? null };
  out.clusterId = created.data?.createCluster?.id ?? null;

  const list = await client.query(urqlGql`{ clusters { total items { id name } } }`, {}).toPromise();
  out.query = { method: lastMethod(), names: list.data?.clusters.items.map((c) => c.name) ?? null, error: list.error?.message ?? null };

  const missing = await client.query(urqlGql`query ($id: ID!) { cluster(id: $id) { id } }`, { id: '999999' }).toPromise();
  out.notFound = { method: lastMethod(), codes: codesOf(missing.error?.graphQLErrors), data: missing.data ?? null };

  // Over the 1 MiB body limit: the answer never reaches Apollo (413 from the body parser).
  const huge = await client.query(urqlGql`query ($pad: String) { clusters { total } }`, { pad: 'x'.repeat(1_100_000) }).toPromise();
  out.tooLarge = {
    method: lastMethod(),
    status: huge.error?.response?.status ?? null,
    codes: codesOf(huge.error?.graphQLErrors),
    error: Boolean(huge.error),
  };
  return out;
}

async function apollo() {
  const client = new ApolloClient({ link: new HttpLink({ uri: graphqlUrl, headers: { authorization } }), cache: new InMemoryCache() });
  const out = {};
  const name = `apollo-${process.pid}-${Date.now().toString(36)}`;
  const created = await client.mutate({
    mutation: apolloGql`mutation ($input: CreateClusterInput!) { createCluster(input: $input) { id name } }`,
    variables: { input: { name, kubeconfig: KUBECONFIG, skipConnectionTest: true } },
  });
  out.mutation = { method: lastMethod(), name: created.data?.createCluster?.name ?? null };
  const list = await client.query({ query: apolloGql`{ clusters { total items { id name } } }` });
  out.query = { method: lastMethod(), names: list.data?.clusters.items.map((c) => c.name) ?? null };
  out.notFound = await apolloError(() =>
    client.query({ query: apolloGql`query ($id: ID!) { cluster(id: $id) { id } }`, variables: { id: '999999' } }),
  );
  // Arguments not asked for before, so the default cache-first policy goes to the network.
  out.tooLarge = await apolloError(() =>
    client.query({
      query: apolloGql`query ($pad: String) { clusters(filter: { search: $pad }) { total } }`,
      variables: { pad: 'x'.repeat(1_100_000) },
    }),
  );
  return out;
}

/** Apollo Client 4 rejects (default errorPolicy "none"); the GraphQL errors are on the error, or on its cause. */
async function apolloError(run) {
  try {
    const result = await run();
    return { rejected: false, codes: codesOf(result.error?.errors), data: result.data ?? null };
  } catch (err) {
    return { rejected: true, name: err.name, codes: codesOf(err.errors ?? err.result?.errors), status: err.statusCode ?? null };
  }
}

/**
 * graphql-ws's client with a connectionParams function, as its README shows for refreshing tokens: each connection
 * gets a token valid for about 3 s; when the gateway closes the socket on expiry, the client must reconnect (with a
 * fresh token) and the subscription carry on.
 */
async function subscription(clusterId) {
  let connects = 0;
  const closeCodes = [];
  const client = createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    connectionParams: () => ({
      Authorization: `Bearer ${jwt.sign({ sub: 'ws-refresher', role: 'admin', exp: Math.floor(Date.now() / 1000) + 3 }, secret, { algorithm: 'HS256' })}`,
    }),
    on: { connected: () => connects++, closed: (e) => closeCodes.push(e?.code) },
  });
  const nexts = [];
  const done = new Promise((resolve) => {
    const stop = client.subscribe(
      { query: 'subscription ($id: ID) { clusterHealth(clusterId: $id) { id name } }', variables: { id: clusterId } },
      {
        next: (value) => {
          nexts.push({ connection: connects, id: value.data?.clusterHealth?.id ?? null, errors: codesOf(value.errors) });
          if (connects >= 2) {
            stop();
            resolve('reconnected');
          }
        },
        error: (err) => resolve(`error: ${err?.code ?? err?.message ?? String(err)}`),
        complete: () => resolve('complete'),
      },
    );
  });
  const outcome = await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve('timeout'), 40_000))]);
  await client.dispose();
  return { outcome, connects, closeCodes, nexts };
}

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

const started = Date.now();
const result = { urql: await urql(), apollo: await apollo() };
result.httpMs = Date.now() - started;
result.subscription = await subscription(result.urql.clusterId);
result.totalMs = Date.now() - started;
// Pooled keep-alive connections would hold the process for half a minute more; the run is over once this is written.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
