/* GraphiQL for kube-gateway: the entry point scripts/build-graphiql.mjs bundles with React, GraphiQL and graphql-ws
 * (served as ?asset=app.js; GraphiQL's Monaco editor runs its language services in workers, ?asset=*.worker.js).
 * Queries and mutations go over HTTP POST, subscriptions over graphql-ws on the same path; both carry the headers
 * from GraphiQL's headers editor (for graphql-ws as connectionParams, which the gateway reads Authorization from).
 * Initial editor contents can be given in the URL fragment, never sent to the server:
 *   /graphql#query=…&variables=…&headers=…&operationName=…
 * `headers` is removed from the address bar once read, so a token does not stay in the history. */
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

(() => {
  // The workers are this bundle's siblings, under the same version (document.currentScript: this classic script).
  var version = new URL(document.currentScript.src).searchParams.get('v') || '';
  var workerUrl = (name) => location.pathname + '?asset=' + name + '.worker.js&v=' + encodeURIComponent(version);
  globalThis.MonacoEnvironment = {
    getWorker: (_id, label) => new Worker(workerUrl(label === 'json' || label === 'graphql' ? label : 'editor')),
  };

  var path = location.pathname.replace(/\/+$/, '') || '/graphql';
  var httpUrl = location.origin + path;
  var wsUrl = httpUrl.replace(/^http/, 'ws');

  var fragment = new URLSearchParams(location.hash.slice(1));
  var initial = {};
  ['query', 'variables', 'headers', 'operationName'].forEach((k) => {
    if (fragment.has(k)) initial[k] = fragment.get(k);
  });
  if (fragment.has('headers')) {
    fragment.delete('headers');
    const rest = fragment.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }

  var DEFAULT_QUERY = [
    '# kube-gateway GraphQL. Schema docs work without a token; everything else needs one.',
    '# Put it in the Headers tab below:  { "Authorization": "Bearer <jwt>" }',
    '# (`npm run token -- --sub you --role admin` prints one.) Subscriptions use the same header.',
    '',
    'query Clusters {',
    '  clusters {',
    '    total',
    '    items { id name healthStatus nodeCount podCount prometheusUrl }',
    '  }',
    '}',
    '',
  ].join('\n');

  function isSubscription(params, opts) {
    var doc = opts?.documentAST;
    if (!doc) return /^\s*subscription\b/m.test(params.query.replace(/#.*$/gm, ''));
    var ops = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
    var op = params.operationName ? ops.filter((d) => d.name && d.name.value === params.operationName)[0] : ops[0];
    return !!op && op.operation === 'subscription';
  }

  function httpFetch(params, headers) {
    var h = new Headers(headers || {});
    h.set('content-type', 'application/json');
    h.set('accept', 'application/graphql-response+json, application/json');
    return fetch(httpUrl, { method: 'POST', headers: h, body: JSON.stringify(params), credentials: 'omit' }).then((res) =>
      res.text().then((text) => {
        try {
          return JSON.parse(text);
        } catch (_) {
          return { errors: [{ message: 'HTTP ' + res.status + ': ' + text.slice(0, 500) }] };
        }
      }),
    );
  }

  // One graphql-ws client per distinct set of headers: a new token in the editor means a new connection.
  var ws = null;
  function wsClient(headers) {
    var key = JSON.stringify(headers || {});
    if (ws && ws.key === key) return ws.client;
    if (ws) ws.client.dispose();
    var client = createClient({ url: wsUrl, connectionParams: headers || {}, lazy: true, retryAttempts: 0 });
    ws = { key: key, client: client };
    return client;
  }

  function describe(err) {
    if (Array.isArray(err)) return err; // GraphQL errors sent in an `error` message
    var message;
    if (err && typeof err.code === 'number') {
      message = 'WebSocket closed (' + err.code + ')' + (err.reason ? ': ' + err.reason : '');
      if (err.code === 4401 || err.code === 4403 || err.code === 4440) message += ' — check the Authorization header in the Headers tab';
    } else {
      message = err instanceof Error ? err.message : String(err);
    }
    return [{ message: message }];
  }

  // An async iterator whose return() reaches graphql-ws at once, so GraphiQL's stop button ends the subscription.
  function subscribe(params, headers) {
    var inner = wsClient(headers).iterate(params);
    var finished = false;
    return {
      next: () => {
        if (finished) return Promise.resolve({ done: true, value: undefined });
        return inner.next().catch((err) => {
          finished = true;
          return { done: false, value: { errors: describe(err) } };
        });
      },
      return: () => {
        finished = true;
        return inner.return ? inner.return() : Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: function () {
        return this;
      },
    };
  }

  function fetcher(params, opts) {
    var headers = opts?.headers || {};
    return isSubscription(params, opts) ? subscribe(params, headers) : httpFetch(params, headers);
  }

  createRoot(document.getElementById('graphiql')).render(
    createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      initialQuery: initial.query,
      initialVariables: initial.variables,
      initialHeaders: initial.headers,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
    }),
  );
})();
